"""DynamoDB's batch, transaction and PartiQL calls under `--enforce-iam`:
each asks an action of every table it names (BatchGetItem and
BatchWriteItem on their tables, a transaction's items by their own
actions, a PartiQL statement by its verb), and a refused call does
nothing at all.

Helpers and the `cloud` fixture come from test_iam_enforcement.py.
"""

from __future__ import annotations

from test_iam_enforcement import (  # noqa: F401 (cloud is a fixture)
    ACCOUNT,
    allow,
    cloud,
    iam_denied,
    refusal,
    user_arn,
)

from conftest import REGION


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def tables(cloud, *names: str):
    ddb = cloud.client("dynamodb")
    for name in names:
        ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    return ddb


def item(pk: str) -> dict:
    return {"pk": {"S": pk}}


def stored(ddb, table: str) -> list[str]:
    return sorted(i["pk"]["S"] for i in ddb.scan(TableName=table)["Items"])


def denied(action: str, table: str) -> tuple[str, int, str]:
    return ("AccessDeniedException", 400, iam_denied(user_arn("alice"), action, table_arn(table)))


def test_batch_write_needs_batch_write_item_on_every_table(cloud):
    ddb = tables(cloud, "aaa", "bbb")
    alice = cloud.client("dynamodb", cloud.user("alice", allow("dynamodb:BatchWriteItem", table_arn("aaa"))))
    both = {"aaa": [{"PutRequest": {"Item": item("1")}}], "bbb": [{"PutRequest": {"Item": item("2")}}]}
    assert refusal(alice.batch_write_item, RequestItems=both) == denied("dynamodb:BatchWriteItem", "bbb")
    assert stored(ddb, "aaa") == [] and stored(ddb, "bbb") == []
    alice.batch_write_item(RequestItems={"aaa": both["aaa"]})
    assert stored(ddb, "aaa") == ["1"]


def test_batch_get_needs_batch_get_item_not_get_item(cloud):
    ddb = tables(cloud, "aaa")
    ddb.put_item(TableName="aaa", Item=item("1"))
    request = {"aaa": {"Keys": [item("1")]}}
    getter = cloud.client("dynamodb", cloud.user("alice", allow("dynamodb:GetItem")))
    assert refusal(getter.batch_get_item, RequestItems=request) == denied("dynamodb:BatchGetItem", "aaa")
    cloud.client("iam").put_user_policy(
        UserName="alice",
        PolicyName="batch",
        PolicyDocument=__import__("json").dumps(
            {"Version": "2012-10-17", "Statement": [allow("dynamodb:BatchGetItem", table_arn("aaa"))]}
        ),
    )
    assert getter.batch_get_item(RequestItems=request)["Responses"]["aaa"] == [item("1")]


def test_transact_write_asks_each_items_action(cloud):
    ddb = tables(cloud, "aaa")
    ddb.put_item(TableName="aaa", Item=item("old"))
    alice = cloud.client("dynamodb", cloud.user("alice", allow("dynamodb:PutItem")))
    alice.transact_write_items(TransactItems=[{"Put": {"TableName": "aaa", "Item": item("1")}}])
    assert stored(ddb, "aaa") == ["1", "old"]
    mixed = [
        {"Put": {"TableName": "aaa", "Item": item("2")}},
        {"Delete": {"TableName": "aaa", "Key": item("old")}},
    ]
    assert refusal(alice.transact_write_items, TransactItems=mixed) == denied("dynamodb:DeleteItem", "aaa")
    assert stored(ddb, "aaa") == ["1", "old"]


def test_transact_get_asks_get_item(cloud):
    ddb = tables(cloud, "aaa")
    ddb.put_item(TableName="aaa", Item=item("1"))
    request = [{"Get": {"TableName": "aaa", "Key": item("1")}}]
    nobody = cloud.client("dynamodb", cloud.user("bob", allow("dynamodb:PutItem")))
    code, status, _ = refusal(nobody.transact_get_items, TransactItems=request)
    assert (code, status) == ("AccessDeniedException", 400)
    alice = cloud.client("dynamodb", cloud.user("alice", allow("dynamodb:GetItem", table_arn("aaa"))))
    assert alice.transact_get_items(TransactItems=request)["Responses"] == [{"Item": item("1")}]


def test_partiql_statements_ask_their_verbs_action(cloud):
    ddb = tables(cloud, "aaa")
    alice = cloud.client("dynamodb", cloud.user("alice", allow(["dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert"])))
    alice.execute_statement(Statement="INSERT INTO \"aaa\" VALUE {'pk': '1'}")
    assert alice.execute_statement(Statement='SELECT * FROM "aaa"')["Items"] == [item("1")]
    assert refusal(alice.execute_statement, Statement="DELETE FROM \"aaa\" WHERE pk = '1'") == denied(
        "dynamodb:PartiQLDelete", "aaa"
    )
    assert stored(ddb, "aaa") == ["1"]
    # A transaction of statements: all allowed, or nothing done.
    statements = [
        {"Statement": "INSERT INTO \"aaa\" VALUE {'pk': '2'}"},
        {"Statement": "UPDATE \"aaa\" SET x = 1 WHERE pk = '1'"},
    ]
    assert refusal(alice.execute_transaction, TransactStatements=statements) == denied(
        "dynamodb:PartiQLUpdate", "aaa"
    )
    assert stored(ddb, "aaa") == ["1"]
    batch = [{"Statement": "INSERT INTO \"aaa\" VALUE {'pk': '3'}"}, {"Statement": "DELETE FROM \"aaa\" WHERE pk = '1'"}]
    assert refusal(alice.batch_execute_statement, Statements=batch) == denied("dynamodb:PartiQLDelete", "aaa")
    assert stored(ddb, "aaa") == ["1"]


def test_leading_keys_confine_a_user_to_their_own_partition(cloud):
    ddb = cloud.client("dynamodb")
    ddb.create_table(
        TableName="notes",
        KeySchema=[{"AttributeName": "owner", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "owner", "AttributeType": "S"},
            {"AttributeName": "n", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="notes", Item={"owner": {"S": "bob"}, "n": {"N": "1"}})
    own_partition = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}}
    actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem"]
    alice = cloud.client("dynamodb", cloud.user("alice", allow(actions, table_arn("notes"), Condition=own_partition)))
    mine = {"owner": {"S": "alice"}, "n": {"N": "1"}}
    bobs = {"owner": {"S": "bob"}, "n": {"N": "1"}}
    alice.put_item(TableName="notes", Item=mine)
    assert alice.get_item(TableName="notes", Key=mine)["Item"] == mine
    assert refusal(alice.get_item, TableName="notes", Key=bobs) == denied("dynamodb:GetItem", "notes")
    assert refusal(alice.put_item, TableName="notes", Item={**bobs, "x": {"S": "overwritten"}}) == denied(
        "dynamodb:PutItem", "notes"
    )
    assert refusal(alice.delete_item, TableName="notes", Key=bobs) == denied("dynamodb:DeleteItem", "notes")
    assert ddb.get_item(TableName="notes", Key=bobs)["Item"] == bobs

    def query(owner: str):
        return alice.query(
            TableName="notes",
            KeyConditionExpression="#o = :o",
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={":o": {"S": owner}},
        )

    assert query("alice")["Items"] == [mine]
    assert refusal(query, "bob") == denied("dynamodb:Query", "notes")


def test_leading_keys_hold_for_batches_and_transactions(cloud):
    ddb = tables(cloud, "aaa")
    ddb.put_item(TableName="aaa", Item=item("bob"))
    ddb.put_item(TableName="aaa", Item=item("alice"))
    own = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}}
    actions = ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:PutItem"]
    alice = cloud.client("dynamodb", cloud.user("alice", allow(actions, table_arn("aaa"), Condition=own)))
    assert alice.batch_get_item(RequestItems={"aaa": {"Keys": [item("alice")]}})["Responses"]["aaa"] == [item("alice")]
    both = {"aaa": {"Keys": [item("alice"), item("bob")]}}
    assert refusal(alice.batch_get_item, RequestItems=both) == denied("dynamodb:BatchGetItem", "aaa")
    writes = {"aaa": [{"PutRequest": {"Item": {**item("bob"), "x": {"S": "1"}}}}]}
    assert refusal(alice.batch_write_item, RequestItems=writes) == denied("dynamodb:BatchWriteItem", "aaa")
    assert ddb.get_item(TableName="aaa", Key=item("bob"))["Item"] == item("bob")
    transaction = [{"Put": {"TableName": "aaa", "Item": {**item("bob"), "x": {"S": "1"}}}}]
    assert refusal(alice.transact_write_items, TransactItems=transaction) == denied("dynamodb:PutItem", "aaa")
    alice.transact_write_items(TransactItems=[{"Put": {"TableName": "aaa", "Item": {**item("alice"), "x": {"S": "1"}}}}])
    assert ddb.get_item(TableName="aaa", Key=item("bob"))["Item"] == item("bob")
