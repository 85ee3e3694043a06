"""DynamoDB end to end: boto3 (client and resource) and the AWS CLI against
the real nimbus binary. Every table has a unique name: the server is shared."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import boto3
import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION


@pytest.fixture
def ddb(aws_client):
    return aws_client("dynamodb")


@pytest.fixture
def raw(endpoint):
    """A client that skips botocore's own parameter validation."""
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )


@pytest.fixture
def resource(endpoint):
    return boto3.resource(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def name(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"], response


def make_table(ddb, range_key: str | None = "sk", range_type: str = "S", **extra) -> str:
    table = name()
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    definitions = [{"AttributeName": "pk", "AttributeType": "S"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
        definitions.append({"AttributeName": range_key, "AttributeType": range_type})
    definitions += extra.pop("definitions", [])
    ddb.create_table(
        TableName=table,
        KeySchema=schema,
        AttributeDefinitions=definitions,
        BillingMode=extra.pop("BillingMode", "PAY_PER_REQUEST"),
        **extra,
    )
    return table


# --- tables -----------------------------------------------------------------


def test_create_describe_list_delete_table(ddb):
    table = name()
    created = ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7},
        Tags=[{"Key": "team", "Value": "core"}],
    )["TableDescription"]
    assert created["TableName"] == table
    assert created["TableArn"] == f"arn:aws:dynamodb:{REGION}:000000000000:table/{table}"
    assert created["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    ddb.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 1})
    described = ddb.describe_table(TableName=table)["Table"]
    assert described["TableStatus"] == "ACTIVE"
    assert described["KeySchema"][1] == {"AttributeName": "sk", "KeyType": "RANGE"}
    assert described["ProvisionedThroughput"]["WriteCapacityUnits"] == 7
    assert described["ItemCount"] == 0
    assert "BillingModeSummary" not in described
    assert table in ddb.list_tables()["TableNames"]
    assert ddb.list_tags_of_resource(ResourceArn=described["TableArn"])["Tags"] == [{"Key": "team", "Value": "core"}]

    code, status, message, _ = error_of(
        ddb.create_table,
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert (code, status, message) == ("ResourceInUseException", 400, f"Table already exists: {table}")

    deleted = ddb.delete_table(TableName=table)["TableDescription"]
    assert deleted["TableStatus"] == "DELETING"
    code, status, message, _ = error_of(ddb.describe_table, TableName=table)
    assert (code, status, message) == (
        "ResourceNotFoundException",
        400,
        f"Requested resource not found: Table: {table} not found",
    )
    code, _, message, _ = error_of(ddb.delete_table, TableName=table)
    assert code == "ResourceNotFoundException"


def test_create_table_validation(ddb):
    code, status, message, _ = error_of(
        ddb.create_table,
        TableName=name(),
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("One or more parameter values were invalid: Some index key attributes are not defined")
    code, _, message, _ = error_of(
        ddb.create_table,
        TableName=name(),
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    assert message == (
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits "
        "must both be specified when BillingMode is PROVISIONED"
    )
    code, _, message, _ = error_of(
        ddb.create_table,
        TableName=name(),
        KeySchema=[{"AttributeName": "pk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert message == "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
    code, _, message, _ = error_of(
        ddb.create_table,
        TableName=name(),
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "unused", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    assert "Number of attributes in KeySchema does not exactly match" in message


def test_list_tables_paginates(ddb):
    tables = sorted(make_table(ddb, None) for _ in range(3))
    seen = []
    start = None
    while True:
        kwargs = {"Limit": 2}
        if start:
            kwargs["ExclusiveStartTableName"] = start
        page = ddb.list_tables(**kwargs)
        assert len(page["TableNames"]) <= 2
        seen += page["TableNames"]
        start = page.get("LastEvaluatedTableName")
        if not start:
            break
    assert all(t in seen for t in tables)
    assert seen == sorted(seen)
    paginated = [n for p in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 1}) for n in p["TableNames"]]
    assert paginated == seen


def test_update_table_billing_throughput_and_gsi(ddb):
    table = make_table(ddb, None, BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    updated = ddb.update_table(TableName=table, ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})
    assert updated["TableDescription"]["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    ddb.update_table(TableName=table, BillingMode="PAY_PER_REQUEST")
    described = ddb.describe_table(TableName=table)["Table"]
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "email": {"S": "a@x"}})
    ddb.update_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "email", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by-email",
                    "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )
    found = ddb.query(
        TableName=table,
        IndexName="by-email",
        KeyConditionExpression="email = :e",
        ExpressionAttributeValues={":e": {"S": "a@x"}},
    )
    assert found["Items"] == [{"pk": {"S": "a"}, "email": {"S": "a@x"}}]
    ddb.update_table(TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-email"}}])
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=table)["Table"]
    code, _, message, _ = error_of(ddb.update_table, TableName=name(), BillingMode="PAY_PER_REQUEST")
    assert code == "ResourceNotFoundException"


def test_tags(ddb):
    table = make_table(ddb, None)
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    missing = f"arn:aws:dynamodb:{REGION}:000000000000:table/{name()}"
    code, status, message, _ = error_of(ddb.list_tags_of_resource, ResourceArn=missing)
    assert (code, status, message) == ("ResourceNotFoundException", 400, f"Requested resource not found: ResourcArn: {missing} not found")


def test_ttl_settings_limits_endpoints(ddb):
    table = make_table(ddb, None)
    assert ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
    spec = {"Enabled": True, "AttributeName": "expires"}
    assert ddb.update_time_to_live(TableName=table, TimeToLiveSpecification=spec)["TimeToLiveSpecification"] == spec
    described = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert described == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    code, _, message, _ = error_of(ddb.update_time_to_live, TableName=table, TimeToLiveSpecification=spec)
    assert (code, message) == ("ValidationException", "TimeToLive is already enabled")
    assert ddb.describe_limits()["TableMaxReadCapacityUnits"] > 0
    assert ddb.describe_endpoints()["Endpoints"][0]["CachePeriodInMinutes"] == 1440


# --- items -----------------------------------------------------------------


ALL_TYPES = {
    "pk": {"S": "all"},
    "sk": {"S": "types"},
    "s": {"S": "text ✓"},
    "n": {"N": "-12.50"},
    "b": {"B": b"\x00\x01bytes"},
    "t": {"BOOL": True},
    "null": {"NULL": True},
    "l": {"L": [{"S": "x"}, {"N": "1"}, {"L": [{"BOOL": False}]}]},
    "m": {"M": {"inner": {"M": {"deep": {"S": "yes"}}}}},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"x", b"y"]},
}


def test_put_get_all_types_and_number_normalisation(ddb):
    table = make_table(ddb)
    ddb.put_item(TableName=table, Item=ALL_TYPES)
    item = ddb.get_item(TableName=table, Key={"pk": {"S": "all"}, "sk": {"S": "types"}}, ConsistentRead=True)["Item"]
    expected = dict(ALL_TYPES, n={"N": "-12.5"})
    assert item == expected
    ddb.put_item(TableName=table, Item={"pk": {"S": "n"}, "sk": {"S": "n"}, "big": {"N": "12345678901234567890123456789012345678"}, "small": {"N": "1E-130"}, "e": {"N": "1.5e3"}})
    got = ddb.get_item(TableName=table, Key={"pk": {"S": "n"}, "sk": {"S": "n"}})["Item"]
    assert got["big"]["N"] == "12345678901234567890123456789012345678"
    assert got["e"]["N"] == "1500"
    assert got["small"]["N"] == "0." + "0" * 129 + "1"
    code, status, message, _ = error_of(ddb.put_item, TableName=table, Item={"pk": {"S": "n"}, "sk": {"S": "n"}, "x": {"N": "123456789012345678901234567890123456789"}})
    assert (code, status, message) == ("ValidationException", 400, "Attempting to store more than 38 significant digits in a Number")
    code, _, message, _ = error_of(ddb.put_item, TableName=table, Item={"pk": {"S": "n"}, "sk": {"S": "n"}, "x": {"N": "1e126"}})
    assert message == "Number overflow. Attempting to store a number with magnitude larger than supported range"
    code, _, message, _ = error_of(ddb.put_item, TableName=table, Item={"pk": {"S": "n"}, "sk": {"S": "n"}, "x": {"N": "abc"}})
    assert message == "A value provided cannot be converted into a number"
    # A missing item is an empty answer, not an error.
    missing = ddb.get_item(TableName=table, Key={"pk": {"S": "none"}, "sk": {"S": "none"}})
    assert "Item" not in missing
    # DynamoDB signs every body with a CRC32 that botocore verifies.
    assert missing["ResponseMetadata"]["HTTPHeaders"]["x-amz-crc32"].isdigit()


def test_resource_round_trips_python_types(resource):
    table = resource.create_table(
        TableName=name(),
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table.wait_until_exists()
    table.put_item(Item={"pk": "p", "count": 3, "price": Decimal("9.99"), "tags": {"a", "b"}, "doc": {"list": [1, "two", None]}})
    item = table.get_item(Key={"pk": "p"})["Item"]
    assert item == {"pk": "p", "count": 3, "price": Decimal("9.99"), "tags": {"a", "b"}, "doc": {"list": [1, "two", None]}}
    table.update_item(Key={"pk": "p"}, UpdateExpression="SET #c = #c + :one", ExpressionAttributeNames={"#c": "count"}, ExpressionAttributeValues={":one": 1})
    assert table.get_item(Key={"pk": "p"})["Item"]["count"] == 4
    table.delete_item(Key={"pk": "p"})
    assert "Item" not in table.get_item(Key={"pk": "p"})


def test_key_validation_messages(ddb, raw):
    table = make_table(ddb)
    code, status, message, _ = error_of(ddb.put_item, TableName=table, Item={"pk": {"S": "a"}})
    assert (code, status, message) == ("ValidationException", 400, "One or more parameter values were invalid: Missing the key sk in the item")
    code, _, message, _ = error_of(ddb.put_item, TableName=table, Item={"pk": {"N": "1"}, "sk": {"S": "a"}})
    assert message == "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
    code, _, message, _ = error_of(ddb.put_item, TableName=table, Item={"pk": {"S": ""}, "sk": {"S": "a"}})
    assert message == "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"
    code, _, message, _ = error_of(ddb.get_item, TableName=table, Key={"pk": {"S": "a"}})
    assert message == "The provided key element does not match the schema"
    code, status, message, _ = error_of(ddb.get_item, TableName=name(), Key={"pk": {"S": "a"}})
    assert (code, status, message) == ("ResourceNotFoundException", 400, "Requested resource not found")
    code, _, message, _ = error_of(raw.put_item, TableName=table, Item={"pk": {"S": "a"}, "sk": {"S": "a"}, "x": {}})
    assert message == "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
    code, _, message, _ = error_of(raw.put_item, TableName=table, Item={"pk": {"S": "a"}, "sk": {"S": "a"}, "x": {"S": "a", "N": "1"}})
    assert message == "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
    code, _, message, _ = error_of(ddb.put_item, TableName=table, Item={"pk": {"S": "a"}, "sk": {"S": "a"}, "x": {"SS": ["a", "a"]}})
    assert message == "One or more parameter values were invalid: Input collection [a, a] contains duplicates."


def test_item_size_limit(ddb):
    table = make_table(ddb, None)
    ddb.put_item(TableName=table, Item={"pk": {"S": "ok"}, "blob": {"S": "x" * (400 * 1024 - 100)}})
    code, status, message, _ = error_of(ddb.put_item, TableName=table, Item={"pk": {"S": "big"}, "blob": {"S": "x" * (400 * 1024 + 1)}})
    assert (code, status, message) == ("ValidationException", 400, "Item size has exceeded the maximum allowed size")


def test_return_values_and_conditions(ddb):
    table = make_table(ddb)
    key = {"pk": {"S": "a"}, "sk": {"S": "b"}}
    assert "Attributes" not in ddb.put_item(TableName=table, Item={**key, "v": {"N": "1"}}, ReturnValues="ALL_OLD")
    old = ddb.put_item(TableName=table, Item={**key, "v": {"N": "2"}}, ReturnValues="ALL_OLD")["Attributes"]
    assert old["v"] == {"N": "1"}
    code, status, message, response = error_of(
        ddb.put_item,
        TableName=table,
        Item={**key, "v": {"N": "3"}},
        ConditionExpression="attribute_not_exists(pk)",
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    assert (code, status, message) == ("ConditionalCheckFailedException", 400, "The conditional request failed")
    assert response["Item"]["v"] == {"N": "2"}
    updated = ddb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET v = v + :inc, tags = list_append(if_not_exists(tags, :empty), :t) ADD seen :one",
        ConditionExpression="v = :two",
        ExpressionAttributeValues={":inc": {"N": "10"}, ":empty": {"L": []}, ":t": {"L": [{"S": "x"}]}, ":two": {"N": "2"}, ":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )["Attributes"]
    assert updated == {"v": {"N": "12"}, "tags": {"L": [{"S": "x"}]}, "seen": {"N": "1"}}
    updated_old = ddb.update_item(TableName=table, Key=key, UpdateExpression="REMOVE tags", ReturnValues="UPDATED_OLD")["Attributes"]
    assert updated_old == {"tags": {"L": [{"S": "x"}]}}
    all_new = ddb.update_item(TableName=table, Key=key, UpdateExpression="ADD colours :c", ExpressionAttributeValues={":c": {"SS": ["red", "blue"]}}, ReturnValues="ALL_NEW")["Attributes"]
    assert set(all_new["colours"]["SS"]) == {"red", "blue"}
    after_delete = ddb.update_item(TableName=table, Key=key, UpdateExpression="DELETE colours :c", ExpressionAttributeValues={":c": {"SS": ["red"]}}, ReturnValues="ALL_NEW")["Attributes"]
    assert after_delete["colours"] == {"SS": ["blue"]}
    deleted = ddb.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD", ConditionExpression="attribute_exists(v)")["Attributes"]
    assert deleted["v"] == {"N": "12"}
    code, _, _, _ = error_of(ddb.delete_item, TableName=table, Key=key, ConditionExpression="attribute_exists(v)")
    assert code == "ConditionalCheckFailedException"
    code, _, message, _ = error_of(ddb.update_item, TableName=table, Key=key, UpdateExpression="SET pk = :v", ExpressionAttributeValues={":v": {"S": "x"}})
    assert message == "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
    code, _, message, _ = error_of(ddb.put_item, TableName=table, Item=key, ReturnValues="ALL_NEW")
    assert message == "Return values set to invalid value"


def test_update_creates_item_and_nested_paths(ddb):
    table = make_table(ddb, None)
    key = {"pk": {"S": "n"}}
    ddb.update_item(TableName=table, Key=key, UpdateExpression="SET doc = :d", ExpressionAttributeValues={":d": {"M": {"vals": {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]}, "name": {"S": "x"}}}})
    ddb.update_item(TableName=table, Key=key, UpdateExpression="SET doc.vals[1] = :v, doc.#n = :n REMOVE doc.vals[0]", ExpressionAttributeNames={"#n": "name"}, ExpressionAttributeValues={":v": {"N": "20"}, ":n": {"S": "y"}})
    item = ddb.get_item(TableName=table, Key=key)["Item"]
    assert item["doc"]["M"]["vals"] == {"L": [{"N": "20"}, {"N": "3"}]}
    assert item["doc"]["M"]["name"] == {"S": "y"}
    projected = ddb.get_item(TableName=table, Key=key, ProjectionExpression="doc.vals[1], pk")["Item"]
    assert projected == {"doc": {"M": {"vals": {"L": [{"N": "3"}]}}}, "pk": {"S": "n"}}
    code, _, message, _ = error_of(ddb.update_item, TableName=table, Key=key, UpdateExpression="SET absent.child = :v", ExpressionAttributeValues={":v": {"S": "x"}})
    assert message == "The document path provided in the update expression is invalid for update"
    code, _, message, _ = error_of(ddb.update_item, TableName=table, Key=key, UpdateExpression="SET doc = :v REMOVE doc.#n", ExpressionAttributeNames={"#n": "name"}, ExpressionAttributeValues={":v": {"S": "x"}})
    assert message == "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [doc], path two: [doc, name]"
    code, _, message, _ = error_of(ddb.update_item, TableName=table, Key=key, UpdateExpression="SET doc = doc + :v", ExpressionAttributeValues={":v": {"N": "1"}})
    assert message == "An operand in the update expression has an incorrect data type"


def test_return_consumed_capacity(ddb):
    table = make_table(ddb, None)
    put = ddb.put_item(TableName=table, Item={"pk": {"S": "c"}}, ReturnConsumedCapacity="TOTAL")
    assert put["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 1.0}
    got = ddb.get_item(TableName=table, Key={"pk": {"S": "c"}}, ReturnConsumedCapacity="INDEXES")
    assert got["ConsumedCapacity"]["CapacityUnits"] == 0.5
    assert got["ConsumedCapacity"]["Table"] == {"CapacityUnits": 0.5}


# --- expressions -------------------------------------------------------------


def test_condition_functions_and_precedence(ddb):
    table = make_table(ddb, None)
    ddb.put_item(TableName=table, Item={"pk": {"S": "e"}, "name": {"S": "alpha"}, "n": {"N": "5"}, "tags": {"SS": ["x", "y"]}, "things": {"L": [{"S": "a"}]}, "m": {"M": {"k": {"N": "1"}}}})
    key = {"pk": {"S": "e"}}
    names = {"#name": "name"}

    def holds(expression, values=None, use_names=False):
        kwargs = {"TableName": table, "Key": key, "UpdateExpression": "SET touched = :t", "ConditionExpression": expression}
        vals = {":t": {"BOOL": True}, **(values or {})}
        kwargs["ExpressionAttributeValues"] = vals
        if use_names:
            kwargs["ExpressionAttributeNames"] = names
        try:
            ddb.update_item(**kwargs)
            return True
        except ClientError as err:
            assert err.response["Error"]["Code"] == "ConditionalCheckFailedException"
            return False

    assert holds("begins_with(#name, :p)", {":p": {"S": "al"}}, True)
    assert not holds("begins_with(#name, :p)", {":p": {"S": "be"}}, True)
    assert holds("contains(tags, :x)", {":x": {"S": "x"}})
    assert holds("contains(#name, :x)", {":x": {"S": "ph"}}, True)
    assert holds("size(things) = :one", {":one": {"N": "1"}})
    assert holds("attribute_type(m, :m)", {":m": {"S": "M"}})
    assert holds("n BETWEEN :a AND :b", {":a": {"N": "1"}, ":b": {"N": "5"}})
    assert holds("n IN (:a, :b)", {":a": {"N": "4"}, ":b": {"N": "5"}})
    assert holds("m.k = :one", {":one": {"N": "1"}})
    assert holds("things[0] = :a", {":a": {"S": "a"}})
    # AND binds tighter than OR; NOT tighter than AND.
    assert holds("n = :wrong OR n = :five AND NOT n = :wrong", {":wrong": {"N": "1"}, ":five": {"N": "5"}})
    assert not holds("(n = :wrong OR n = :five) AND n = :wrong", {":wrong": {"N": "1"}, ":five": {"N": "5"}})
    assert holds("absent <> :v", {":v": {"N": "1"}})
    assert not holds("n < :s", {":s": {"S": "x"}})


def test_expression_validation_messages(ddb):
    table = make_table(ddb, None)
    key = {"pk": {"S": "v"}}

    def message_for(**kwargs):
        code, status, message, _ = error_of(ddb.update_item, TableName=table, Key=key, **kwargs)
        assert (code, status) == ("ValidationException", 400)
        return message

    assert message_for(UpdateExpression="SET a = ") == 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "= "'
    assert message_for(UpdateExpression="SET status = :v", ExpressionAttributeValues={":v": {"S": "x"}}) == (
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status"
    )
    assert message_for(UpdateExpression="SET a = :missing") == (
        "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :missing"
    )
    assert message_for(UpdateExpression="SET #a = :v", ExpressionAttributeValues={":v": {"S": "x"}}) == (
        "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #a"
    )
    assert message_for(UpdateExpression="SET a = :v", ExpressionAttributeValues={":v": {"S": "x"}, ":extra": {"S": "y"}}) == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:extra}"
    )
    assert message_for(UpdateExpression="SET a = :v", ExpressionAttributeNames={"#unused": "x"}, ExpressionAttributeValues={":v": {"S": "x"}}) == (
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}"
    )
    assert message_for(UpdateExpression="SET a = :v SET b = :v", ExpressionAttributeValues={":v": {"S": "x"}}) == (
        'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;'
    )
    assert message_for(UpdateExpression="SET a = :v", ConditionExpression="unknown_fn(a)", ExpressionAttributeValues={":v": {"S": "x"}}) == (
        "Invalid ConditionExpression: Invalid function name; function: unknown_fn"
    )
    assert message_for(UpdateExpression="SET a = :v", ConditionExpression="", ExpressionAttributeValues={":v": {"S": "x"}}) == (
        "Invalid ConditionExpression: The expression can not be empty;"
    )
    assert message_for(UpdateExpression="SET a = :v", ConditionExpression="((a = :v))", ExpressionAttributeValues={":v": {"S": "x"}}) == (
        "Invalid ConditionExpression: The expression has redundant parentheses;"
    )


def test_hostile_expressions_are_validation_errors(ddb, endpoint):
    table = make_table(ddb, None)
    key = {"pk": {"S": "h"}}
    for expression in ["(" * 4096, "NOT " * 1000 + "a = :v", "a = :v AND " * 400 + "a = :v", "a." * 2000 + "b = :v"]:
        code, status, message, _ = error_of(
            ddb.put_item, TableName=table, Item=key, ConditionExpression=expression, ExpressionAttributeValues={":v": {"S": "x"}}
        )
        assert (code, status) == ("ValidationException", 400), message
        assert message.startswith("Invalid ConditionExpression: ")
    # The server is still up and serving.
    ddb.put_item(TableName=table, Item=key)
    assert ddb.get_item(TableName=table, Key=key)["Item"] == key


# --- query and scan ----------------------------------------------------------


def fill(ddb, table, partitions=("a", "b"), count=10, range_type="N"):
    for p in partitions:
        for i in range(count):
            sk = {"N": str(i)} if range_type == "N" else {"S": f"item#{i:03d}"}
            ddb.put_item(TableName=table, Item={"pk": {"S": p}, "sk": sk, "v": {"N": str(i % 3)}, "g": {"S": f"group-{i % 2}"}})


def test_query_key_conditions_order_and_pagination(ddb):
    table = make_table(ddb, range_type="N")
    fill(ddb, table)
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "sk": {"N": "-5.5"}})
    values = lambda items: [float(i["sk"]["N"]) for i in items]  # noqa: E731
    result = ddb.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}})
    assert values(result["Items"]) == [-5.5] + list(range(10))
    assert result["Count"] == 11 and result["ScannedCount"] == 11
    result = ddb.query(TableName=table, KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi", ExpressionAttributeValues={":p": {"S": "a"}, ":lo": {"N": "2"}, ":hi": {"N": "4"}}, ScanIndexForward=False)
    assert values(result["Items"]) == [4, 3, 2]
    result = ddb.query(TableName=table, KeyConditionExpression="pk = :p AND sk > :x", ExpressionAttributeValues={":p": {"S": "a"}, ":x": {"N": "7"}})
    assert values(result["Items"]) == [8, 9]
    result = ddb.query(TableName=table, KeyConditionExpression="pk = :p AND sk <= :x", ExpressionAttributeValues={":p": {"S": "a"}, ":x": {"N": "1"}}, ScanIndexForward=False)
    assert values(result["Items"]) == [1, 0, -5.5]
    # Pages of 4, forward and backward.
    for forward in (True, False):
        seen, start = [], None
        while True:
            kwargs = dict(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "b"}}, Limit=4, ScanIndexForward=forward)
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = ddb.query(**kwargs)
            seen += values(page["Items"])
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        assert seen == (list(range(10)) if forward else list(range(9, -1, -1)))
    # Filters apply after Limit: Count counts matches, ScannedCount what was read.
    page = ddb.query(TableName=table, KeyConditionExpression="pk = :p", FilterExpression="v = :zero", ExpressionAttributeValues={":p": {"S": "b"}, ":zero": {"N": "0"}}, Limit=5)
    assert page["ScannedCount"] == 5 and page["Count"] == 2
    assert page["LastEvaluatedKey"] == {"pk": {"S": "b"}, "sk": {"N": "4"}}
    count = ddb.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "b"}}, Select="COUNT")
    assert count["Count"] == 10 and "Items" not in count


def test_query_begins_with_and_errors(ddb, resource):
    table = make_table(ddb, range_type="S")
    fill(ddb, table, partitions=("a",), count=12, range_type="S")
    items = resource.Table(table).query(KeyConditionExpression=Key("pk").eq("a") & Key("sk").begins_with("item#01"))["Items"]
    assert [i["sk"] for i in items] == ["item#010", "item#011"]
    filtered = resource.Table(table).query(KeyConditionExpression=Key("pk").eq("a"), FilterExpression=Attr("g").eq("group-1") & Attr("v").gte(1))["Items"]
    assert all(i["g"] == "group-1" and i["v"] >= 1 for i in filtered) and filtered

    def message(**kwargs):
        code, status, msg, _ = error_of(ddb.query, TableName=table, **kwargs)
        assert (code, status) == ("ValidationException", 400)
        return msg

    assert message(KeyConditionExpression="sk = :s", ExpressionAttributeValues={":s": {"S": "x"}}) == "Query condition missed key schema element: pk"
    assert message(KeyConditionExpression="pk = :p OR pk = :p", ExpressionAttributeValues={":p": {"S": "x"}}) == (
        "Invalid operator used in KeyConditionExpression: OR"
    )
    assert message(KeyConditionExpression="pk = :p AND sk > :a AND sk < :b", ExpressionAttributeValues={":p": {"S": "x"}, ":a": {"S": "a"}, ":b": {"S": "b"}}) == (
        "Conditions can be of length 1 or 2 only"
    )
    assert message(KeyConditionExpression="pk IN (:p)", ExpressionAttributeValues={":p": {"S": "x"}}) == (
        "Invalid operator used in KeyConditionExpression: IN"
    )
    assert message(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"N": "1"}}) == (
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    )


def test_scan_pagination_segments_and_filters(ddb, resource):
    table = make_table(ddb, range_type="N")
    fill(ddb, table, partitions=[f"p{i}" for i in range(6)], count=5)
    everything = ddb.scan(TableName=table)
    assert everything["Count"] == 30
    pages = list(ddb.get_paginator("scan").paginate(TableName=table, PaginationConfig={"PageSize": 7}))
    assert sum(p["Count"] for p in pages) == 30 and len(pages) >= 5
    keys = set()
    for segment in range(3):
        part = ddb.scan(TableName=table, Segment=segment, TotalSegments=3)
        keys |= {(i["pk"]["S"], i["sk"]["N"]) for i in part["Items"]}
        assert part["Count"] < 30 or segment == 0
    assert len(keys) == 30
    filtered = resource.Table(table).scan(FilterExpression=Attr("v").eq(2), ProjectionExpression="pk, v")["Items"]
    assert filtered and all(set(i) == {"pk", "v"} and i["v"] == 2 for i in filtered)
    code, _, message, _ = error_of(ddb.scan, TableName=table, Segment=3, TotalSegments=2)
    assert message == "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 3 is not less than TotalSegments: 2"
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 30


def test_scan_page_stops_at_one_megabyte(ddb):
    table = make_table(ddb, None)
    blob = "x" * (100 * 1024)
    for i in range(15):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"big-{i:02d}"}, "blob": {"S": blob}})
    first = ddb.scan(TableName=table)
    assert first["Count"] < 15 and "LastEvaluatedKey" in first
    second = ddb.scan(TableName=table, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert first["Count"] + second["Count"] == 15


def test_gsi_and_lsi_queries_with_projections(ddb):
    table = make_table(
        ddb,
        range_type="N",
        definitions=[{"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "v", "AttributeType": "N"}],
        GlobalSecondaryIndexes=[
            {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}
        ],
        LocalSecondaryIndexes=[
            {"IndexName": "by-v", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "v", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["g"]}}
        ],
    )
    fill(ddb, table, partitions=("a", "b"), count=6)
    ddb.put_item(TableName=table, Item={"pk": {"S": "c"}, "sk": {"N": "1"}})  # not in the sparse GSI
    by_g = ddb.query(TableName=table, IndexName="by-g", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "group-1"}})
    assert by_g["Count"] == 6
    assert all(set(i) == {"pk", "sk", "g"} for i in by_g["Items"])
    assert [i["sk"]["N"] for i in by_g["Items"]] == ["1", "1", "3", "3", "5", "5"]
    by_v = ddb.query(TableName=table, IndexName="by-v", KeyConditionExpression="pk = :p AND v >= :one", ExpressionAttributeValues={":p": {"S": "a"}, ":one": {"N": "1"}})
    assert [i["v"]["N"] for i in by_v["Items"]] == ["1", "1", "2", "2"]
    assert all(set(i) == {"pk", "sk", "v", "g"} for i in by_v["Items"])
    # Updates move items within the index.
    ddb.update_item(TableName=table, Key={"pk": {"S": "a"}, "sk": {"N": "0"}}, UpdateExpression="SET g = :g", ExpressionAttributeValues={":g": {"S": "moved"}})
    moved = ddb.query(TableName=table, IndexName="by-g", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "moved"}})
    assert moved["Items"] == [{"pk": {"S": "a"}, "sk": {"N": "0"}, "g": {"S": "moved"}}]
    scan = ddb.scan(TableName=table, IndexName="by-g")
    assert scan["Count"] == 12
    described = ddb.describe_table(TableName=table)["Table"]
    assert described["ItemCount"] == 13
    assert described["GlobalSecondaryIndexes"][0]["ItemCount"] == 12
    assert described["LocalSecondaryIndexes"][0]["ItemCount"] == 12
    assert 0 < described["GlobalSecondaryIndexes"][0]["IndexSizeBytes"] < described["TableSizeBytes"]
    code, _, message, _ = error_of(ddb.query, TableName=table, IndexName="by-g", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "x"}}, ConsistentRead=True)
    assert message == "Consistent reads are not supported on global secondary indexes"
    code, _, message, _ = error_of(ddb.query, TableName=table, IndexName="nope", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "x"}})
    assert message == "The table does not have the specified index: nope"
    code, _, message, _ = error_of(ddb.put_item, TableName=table, Item={"pk": {"S": "z"}, "sk": {"N": "1"}, "g": {"N": "1"}})
    assert message == "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N IndexName: by-g"


# --- contention --------------------------------------------------------------


def test_conditional_writes_race_with_one_winner_each_round(endpoint, ddb):
    table = make_table(ddb, None)
    key = {"pk": {"S": "counter"}}
    ddb.put_item(TableName=table, Item={**key, "version": {"N": "0"}, "tally": {"N": "0"}})
    clients = 8
    rounds = 10
    barrier = threading.Barrier(clients)
    wins = [[0] * rounds for _ in range(clients)]

    def worker(index):
        client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))
        for round_number in range(rounds):
            barrier.wait()
            try:
                client.update_item(
                    TableName=table,
                    Key=key,
                    UpdateExpression="SET version = version + :one, tally = tally + :one",
                    ConditionExpression="version = :expected",
                    ExpressionAttributeValues={":one": {"N": "1"}, ":expected": {"N": str(round_number)}},
                )
                wins[index][round_number] = 1
            except ClientError as err:
                assert err.response["Error"]["Code"] == "ConditionalCheckFailedException"
            barrier.wait()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(sum(wins[c][r] for c in range(clients)) == 1 for r in range(rounds))
    item = ddb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert item["version"] == {"N": str(rounds)} and item["tally"] == {"N": str(rounds)}


def test_unconditional_increments_lose_nothing(endpoint, ddb):
    table = make_table(ddb, None)
    key = {"pk": {"S": "hits"}}

    def worker():
        client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))
        for _ in range(20):
            client.update_item(TableName=table, Key=key, UpdateExpression="ADD hits :one", ExpressionAttributeValues={":one": {"N": "1"}})

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert ddb.get_item(TableName=table, Key=key)["Item"]["hits"] == {"N": "120"}


def test_aws_cli_put_and_get(aws):
    table = name("cli")
    created = aws("dynamodb", "create-table", "--table-name", table, "--attribute-definitions", "AttributeName=pk,AttributeType=S", "--key-schema", "AttributeName=pk,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
    assert created.returncode == 0, created.stderr
    put = aws("dynamodb", "put-item", "--table-name", table, "--item", '{"pk": {"S": "cli"}, "n": {"N": "1.10"}}')
    assert put.returncode == 0, put.stderr
    got = aws("dynamodb", "get-item", "--table-name", table, "--key", '{"pk": {"S": "cli"}}')
    assert got.json()["Item"] == {"pk": {"S": "cli"}, "n": {"N": "1.1"}}


# --- batches and transactions ------------------------------------------------


def test_batch_write_and_get(ddb, resource):
    table = make_table(ddb)
    other = make_table(ddb, None)
    writes = [{"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"S": str(i)}, "v": {"N": str(i)}}}} for i in range(20)]
    result = ddb.batch_write_item(RequestItems={table: writes, other: [{"PutRequest": {"Item": {"pk": {"S": "o"}}}}]})
    assert result["UnprocessedItems"] == {}
    got = ddb.batch_get_item(
        RequestItems={
            table: {"Keys": [{"pk": {"S": "b"}, "sk": {"S": "3"}}, {"pk": {"S": "b"}, "sk": {"S": "missing"}}], "ProjectionExpression": "v"},
            other: {"Keys": [{"pk": {"S": "o"}}], "ConsistentRead": True},
        }
    )
    assert got["Responses"][table] == [{"v": {"N": "3"}}]
    assert got["Responses"][other] == [{"pk": {"S": "o"}}]
    assert got["UnprocessedKeys"] == {}
    ddb.batch_write_item(RequestItems={table: [{"DeleteRequest": {"Key": {"pk": {"S": "b"}, "sk": {"S": str(i)}}}} for i in range(10)]})
    assert ddb.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "b"}}, Select="COUNT")["Count"] == 10
    with resource.Table(other).batch_writer() as batch:
        for i in range(30):
            batch.put_item(Item={"pk": f"w{i}", "n": i})
    assert ddb.scan(TableName=other, Select="COUNT")["Count"] == 31

    code, status, message, _ = error_of(ddb.batch_write_item, RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": "d"}, "sk": {"S": "1"}}}}] * 2})
    assert (code, status, message) == ("ValidationException", 400, "Provided list of item keys contains duplicates")
    code, _, message, _ = error_of(ddb.batch_write_item, RequestItems={table: writes + writes[:6]})
    assert code == "ValidationException" and "less than or equal to 25" in message
    code, _, message, _ = error_of(ddb.batch_get_item, RequestItems={name(): {"Keys": [{"pk": {"S": "x"}}]}})
    assert (code, message) == ("ResourceNotFoundException", "Requested resource not found")
    keys = [{"pk": {"S": "b"}, "sk": {"S": str(i)}} for i in range(60)]
    other_keys = [{"pk": {"S": str(i)}} for i in range(60)]
    code, _, message, _ = error_of(ddb.batch_get_item, RequestItems={table: {"Keys": keys}, other: {"Keys": other_keys}})
    assert message == "Too many items requested for the BatchGetItem call"


def test_transact_write_all_or_nothing(ddb):
    table = make_table(ddb, None)
    ddb.put_item(TableName=table, Item={"pk": {"S": "acct-a"}, "balance": {"N": "100"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "acct-b"}, "balance": {"N": "0"}})

    def transfer(amount, token=None):
        kwargs = {}
        if token:
            kwargs["ClientRequestToken"] = token
        return ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "acct-a"}},
                        "UpdateExpression": "SET balance = balance - :amt",
                        "ConditionExpression": "balance >= :amt",
                        "ExpressionAttributeValues": {":amt": {"N": str(amount)}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "acct-b"}},
                        "UpdateExpression": "SET balance = balance + :amt",
                        "ExpressionAttributeValues": {":amt": {"N": str(amount)}},
                    }
                },
                {"Put": {"TableName": table, "Item": {"pk": {"S": f"log-{amount}"}}, "ConditionExpression": "attribute_not_exists(pk)"}},
            ],
            **kwargs,
        )

    transfer(30)
    balance = lambda k: ddb.get_item(TableName=table, Key={"pk": {"S": k}})["Item"]["balance"]["N"]  # noqa: E731
    assert (balance("acct-a"), balance("acct-b")) == ("70", "30")
    code, status, message, response = error_of(transfer, 500)
    assert (code, status) == ("TransactionCanceledException", 400)
    assert message == "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None, None]"
    reasons = response["CancellationReasons"]
    assert reasons[0]["Code"] == "ConditionalCheckFailed" and reasons[0]["Item"]["balance"] == {"N": "70"}
    assert reasons[1] == {"Code": "None"} and reasons[2] == {"Code": "None"}
    assert (balance("acct-a"), balance("acct-b")) == ("70", "30")
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "log-500"}})
    # Idempotency: the same token and request applies once.
    token = uuid.uuid4().hex
    transfer(10, token)
    transfer(10, token)
    assert (balance("acct-a"), balance("acct-b")) == ("60", "40")
    code, status, message, _ = error_of(transfer, 11, token)
    assert (code, status, message) == ("IdempotentParameterMismatchException", 400, "The request uses the same client token as a previous, but non-identical request.")
    code, _, message, _ = error_of(
        ddb.transact_write_items,
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "same"}}}},
            {"Delete": {"TableName": table, "Key": {"pk": {"S": "same"}}}},
        ],
    )
    assert (code, message) == ("ValidationException", "Transaction request cannot include multiple operations on one item")
    # A failed ConditionCheck cancels the writes beside it.
    code, _, message, response = error_of(
        ddb.transact_write_items,
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "never"}}}},
            {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "acct-a"}}, "ConditionExpression": "balance > :big", "ExpressionAttributeValues": {":big": {"N": "1000"}}}},
        ],
    )
    assert code == "TransactionCanceledException" and [r["Code"] for r in response["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "never"}})


def test_transact_get(ddb):
    table = make_table(ddb, None)
    ddb.put_item(TableName=table, Item={"pk": {"S": "g1"}, "v": {"N": "1"}, "w": {"S": "x"}})
    result = ddb.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": table, "Key": {"pk": {"S": "g1"}}, "ProjectionExpression": "v"}},
            {"Get": {"TableName": table, "Key": {"pk": {"S": "absent"}}}},
        ]
    )
    assert result["Responses"] == [{"Item": {"v": {"N": "1"}}}, {}]
    code, _, message, _ = error_of(ddb.transact_get_items, TransactItems=[{"Get": {"TableName": name(), "Key": {"pk": {"S": "x"}}}}])
    assert code == "ResourceNotFoundException"


# --- time to live and durability -----------------------------------------------


def test_ttl_deletes_expired_items(ddb):
    import time

    table = make_table(ddb, None)
    ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    now = int(time.time())
    ddb.put_item(TableName=table, Item={"pk": {"S": "gone"}, "expires": {"N": str(now - 10)}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "kept"}, "expires": {"N": str(now + 3600)}})
    deadline = time.monotonic() + 10
    while "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": "gone"}}) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "gone"}})
    assert "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": "kept"}})


def test_acknowledged_writes_survive_kill_9(launch_nimbus, tmp_path):
    data_dir = str(tmp_path / "data")
    server = launch_nimbus("--data-dir", data_dir, ephemeral=False)
    client = boto3.client("dynamodb", endpoint_url=server.url, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")
    table = make_table(client, "sk", "N", definitions=[{"AttributeName": "g", "AttributeType": "S"}],
                       GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}])
    for i in range(5):
        client.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "g": {"S": "x"}})
    client.update_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"N": "0"}}, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "42"}})
    server.process.kill()
    server.process.wait()
    again = launch_nimbus("--data-dir", data_dir, ephemeral=False)
    client = boto3.client("dynamodb", endpoint_url=again.url, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")
    assert client.get_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"N": "0"}})["Item"]["v"] == {"N": "42"}
    assert client.query(TableName=table, IndexName="by-g", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "x"}})["Count"] == 5
    assert client.describe_table(TableName=table)["Table"]["ItemCount"] == 5


# --- streams -----------------------------------------------------------------


def test_streams_record_changes_in_order(ddb, aws_client):
    streams = aws_client("dynamodbstreams")
    table = make_table(ddb, None, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    described = ddb.describe_table(TableName=table)["Table"]
    arn = described["LatestStreamArn"]
    assert described["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert arn.startswith(described["TableArn"] + "/stream/")
    listed = streams.list_streams(TableName=table)["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": table, "StreamLabel": described["LatestStreamLabel"]}]
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "ENABLED" and description["TableName"] == table
    shard = description["Shards"][0]["ShardId"]
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]

    key = {"pk": {"S": "s1"}}
    ddb.put_item(TableName=table, Item={**key, "v": {"N": "1"}})
    ddb.update_item(TableName=table, Key=key, UpdateExpression="SET v = :two", ExpressionAttributeValues={":two": {"N": "2"}})
    ddb.delete_item(TableName=table, Key=key)

    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = streams.get_records(ShardIterator=iterator, Limit=2)
    records = page["Records"]
    records += streams.get_records(ShardIterator=page["NextShardIterator"])["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    assert records[0]["dynamodb"]["NewImage"] == {**key, "v": {"N": "1"}} and "OldImage" not in records[0]["dynamodb"]
    assert records[1]["dynamodb"]["OldImage"]["v"] == {"N": "1"} and records[1]["dynamodb"]["NewImage"]["v"] == {"N": "2"}
    assert records[2]["dynamodb"]["Keys"] == key and "NewImage" not in records[2]["dynamodb"]
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence == sorted(sequence) and len(set(sequence)) == 3
    assert all(r["eventSource"] == "aws:dynamodb" and r["awsRegion"] == REGION for r in records)
    assert [r["eventName"] for r in streams.get_records(ShardIterator=latest)["Records"]] == ["INSERT", "MODIFY", "REMOVE"]
    after = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=records[0]["dynamodb"]["SequenceNumber"])["ShardIterator"]
    assert [r["eventName"] for r in streams.get_records(ShardIterator=after)["Records"]] == ["MODIFY", "REMOVE"]

    missing = arn.replace(table, name())
    code, status, message, _ = error_of(streams.describe_stream, StreamArn=missing)
    assert (code, status, message) == ("ResourceNotFoundException", 400, f"Requested resource not found: Stream: {missing} not found")
    code, _, message, _ = error_of(streams.get_records, ShardIterator="not-an-iterator")
    assert (code, message) == ("ValidationException", "Invalid ShardIterator")

    ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})
    assert "LatestStreamArn" not in ddb.describe_table(TableName=table)["Table"]
    assert streams.list_streams(TableName=table)["Streams"] == []


def test_key_size_and_placeholder_key_validation(ddb):
    table = make_table(ddb)
    code, status, message, _ = error_of(ddb.put_item, TableName=table, Item={"pk": {"S": "x" * 2049}, "sk": {"S": "a"}})
    assert (code, status, message) == ("ValidationException", 400, "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
    code, _, message, _ = error_of(ddb.put_item, TableName=table, Item={"pk": {"S": "a"}, "sk": {"S": "x" * 1025}})
    assert message == "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
    ddb.put_item(TableName=table, Item={"pk": {"S": "x" * 2048}, "sk": {"S": "y" * 1024}})
    code, _, message, _ = error_of(ddb.put_item, TableName=table, Item={"pk": {"S": "a"}, "sk": {"S": "a"}}, ConditionExpression="a = :v", ExpressionAttributeValues={"v": {"S": "x"}})
    assert message == 'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"'
    code, _, message, _ = error_of(ddb.put_item, TableName=table, Item={"pk": {"S": "a"}, "sk": {"S": "a"}}, ConditionExpression="#a = :v", ExpressionAttributeNames={"a": "x"}, ExpressionAttributeValues={":v": {"S": "x"}})
    assert message == 'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'


# --- PartiQL -----------------------------------------------------------------


def test_partiql_statements(ddb):
    table = make_table(ddb, range_type="N")
    ddb.execute_statement(Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'p', 'sk': 1, 'name': 'one', 'tags': <<'a', 'b'>>, 'doc': {{'n': [1, 2]}}}}")
    ddb.execute_statement(Statement=f'INSERT INTO "{table}" VALUE {{\'pk\': ?, \'sk\': ?, \'name\': ?}}', Parameters=[{"S": "p"}, {"N": "2"}, {"S": "two"}])
    code, status, message, _ = error_of(ddb.execute_statement, Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'p', 'sk': 1}}")
    assert (code, status, message) == ("DuplicateItemException", 400, "Duplicate primary key exists in table")

    items = ddb.execute_statement(Statement=f'SELECT * FROM "{table}" WHERE pk = ?', Parameters=[{"S": "p"}])["Items"]
    assert [i["sk"]["N"] for i in items] == ["1", "2"]
    assert items[0]["tags"] == {"SS": ["a", "b"]} and items[0]["doc"] == {"M": {"n": {"L": [{"N": "1"}, {"N": "2"}]}}}
    projected = ddb.execute_statement(Statement=f"SELECT name FROM \"{table}\" WHERE pk = 'p' AND sk > 1")["Items"]
    assert projected == [{"name": {"S": "two"}}]
    scanned = ddb.execute_statement(Statement=f"SELECT sk FROM \"{table}\" WHERE name = 'one'")["Items"]
    assert scanned == [{"sk": {"N": "1"}}]
    page = ddb.execute_statement(Statement=f"SELECT * FROM \"{table}\" WHERE pk = 'p'", Limit=1)
    assert len(page["Items"]) == 1 and "NextToken" in page
    rest = ddb.execute_statement(Statement=f"SELECT * FROM \"{table}\" WHERE pk = 'p'", Limit=1, NextToken=page["NextToken"])
    assert rest["Items"][0]["sk"] == {"N": "2"}

    ddb.execute_statement(Statement=f"UPDATE \"{table}\" SET name = 'uno' SET n = 5 WHERE pk = 'p' AND sk = 1")
    ddb.execute_statement(Statement=f"UPDATE \"{table}\" SET n = n + 1 REMOVE tags WHERE pk = 'p' AND sk = 1")
    item = ddb.get_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"N": "1"}})["Item"]
    assert item["name"] == {"S": "uno"} and item["n"] == {"N": "6"} and "tags" not in item
    code, _, _, _ = error_of(ddb.execute_statement, Statement=f"UPDATE \"{table}\" SET name = 'x' WHERE pk = 'p' AND sk = 99")
    assert code == "ConditionalCheckFailedException"
    code, _, message, _ = error_of(ddb.execute_statement, Statement=f"UPDATE \"{table}\" SET name = 'x' WHERE pk = 'p'")
    assert message == "Where clause does not contain a mandatory equality on all key attributes"
    ddb.execute_statement(Statement=f"DELETE FROM \"{table}\" WHERE pk = 'p' AND sk = 2")
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"N": "2"}})

    code, status, message, _ = error_of(ddb.execute_statement, Statement="SELEC * FROM x")
    assert (code, status) == ("ValidationException", 400) and message.startswith("Statement wasn't well formed, can't be processed:")
    code, _, message, _ = error_of(ddb.execute_statement, Statement=f"SELECT * FROM \"{table}\" WHERE pk = ?")
    assert message == "Number of parameters in request and statement don't match."
    code, _, _, _ = error_of(ddb.execute_statement, Statement=f"SELECT * FROM \"{name()}\"")
    assert code == "ResourceNotFoundException"
    code, _, _, _ = error_of(ddb.execute_statement, Statement=f"SELECT * FROM \"{table}\" WHERE " + "(" * 4000 + "a = 1" + ")" * 4000)
    assert code == "ValidationException"


def test_partiql_batch(ddb):
    table = make_table(ddb, None)
    result = ddb.batch_execute_statement(
        Statements=[
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'a', 'v': 1}}"},
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'v': 2}}"},
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'a', 'v': 3}}"},
        ]
    )["Responses"]
    assert "Error" not in result[0] and "Error" not in result[1]
    assert result[2]["Error"]["Code"] == "DuplicateItem"
    got = ddb.batch_execute_statement(
        Statements=[
            {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = ?", "Parameters": [{"S": "a"}]},
            {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'missing'"},
        ]
    )["Responses"]
    assert got[0]["Item"] == {"pk": {"S": "a"}, "v": {"N": "1"}} and got[0]["TableName"] == table
    assert "Item" not in got[1]


def test_nesting_limit_holds_across_updates(ddb):
    table = make_table(ddb, None)

    def nested(levels):
        value = {"S": "leaf"}
        for _ in range(levels):
            value = {"M": {"x": value}}
        return value

    key = {"pk": {"S": "deep"}}
    ddb.put_item(TableName=table, Item={**key, "a": nested(20)})
    path = "a" + ".x" * 19
    code, status, message, _ = error_of(ddb.update_item, TableName=table, Key=key, UpdateExpression=f"SET {path} = :v", ExpressionAttributeValues={":v": nested(20)})
    assert (code, status, message) == ("ValidationException", 400, "Nesting Levels have exceeded supported limits")
    ddb.update_item(TableName=table, Key=key, UpdateExpression=f"SET {path} = :v", ExpressionAttributeValues={":v": nested(5)})
    stored = ddb.get_item(TableName=table, Key=key)["Item"]["a"]
    for _ in range(19):
        stored = stored["M"]["x"]
    assert stored == nested(5)
    code, _, message, _ = error_of(ddb.put_item, TableName=table, Item={**key, "a": nested(40)})
    assert message == "Nesting Levels have exceeded supported limits"


def test_more_expression_rules(ddb):
    table = make_table(ddb, range_type="N")
    fill(ddb, table, partitions=("a",), count=3)
    code, status, message, _ = error_of(ddb.query, TableName=table, KeyConditionExpression="pk = :p", FilterExpression="sk > :z", ExpressionAttributeValues={":p": {"S": "a"}, ":z": {"N": "0"}})
    assert (code, status, message) == ("ValidationException", 400, "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk")
    code, _, message, _ = error_of(ddb.get_item, TableName=table, Key={"pk": {"S": "a"}, "sk": {"N": "1"}}, ProjectionExpression="v, v")
    assert message == "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [v], path two: [v]"
    code, _, message, _ = error_of(ddb.scan, TableName=table, FilterExpression="begins_with(g, :n)", ExpressionAttributeValues={":n": {"N": "1"}})
    assert message == "Invalid FilterExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
    many = " OR ".join(["v = :v"] * 301)
    code, _, message, _ = error_of(ddb.scan, TableName=table, FilterExpression=many, ExpressionAttributeValues={":v": {"N": "1"}})
    assert code == "ValidationException" and message.startswith("Invalid FilterExpression: ")
    fine = " OR ".join(["v = :v"] * 150)
    assert ddb.scan(TableName=table, FilterExpression=fine, ExpressionAttributeValues={":v": {"N": "1"}})["Count"] == 1


def test_aws_cli_query_scan_and_update(aws):
    table = name("cli")
    created = aws("dynamodb", "create-table", "--table-name", table, "--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=sk,AttributeType=N", "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE", "--billing-mode", "PAY_PER_REQUEST")
    assert created.returncode == 0, created.stderr
    for i in range(5):
        put = aws("dynamodb", "put-item", "--table-name", table, "--item", f'{{"pk": {{"S": "c"}}, "sk": {{"N": "{i}"}}}}')
        assert put.returncode == 0, put.stderr
    # The CLI paginates by itself: pages of 2 still give all five, in order.
    query = aws("dynamodb", "query", "--table-name", table, "--key-condition-expression", "pk = :p", "--expression-attribute-values", '{":p": {"S": "c"}}', "--page-size", "2")
    assert query.returncode == 0, query.stderr
    assert [i["sk"]["N"] for i in query.json()["Items"]] == ["0", "1", "2", "3", "4"]
    updated = aws("dynamodb", "update-item", "--table-name", table, "--key", '{"pk": {"S": "c"}, "sk": {"N": "1"}}', "--update-expression", "SET hits = if_not_exists(hits, :z) + :one", "--expression-attribute-values", '{":z": {"N": "0"}, ":one": {"N": "1"}}', "--return-values", "ALL_NEW")
    assert updated.json()["Attributes"]["hits"] == {"N": "1"}
    scan = aws("dynamodb", "scan", "--table-name", table, "--select", "COUNT")
    assert scan.json()["Count"] == 5
    failed = aws("dynamodb", "put-item", "--table-name", table, "--item", '{"pk": {"S": "c"}, "sk": {"N": "1"}}', "--condition-expression", "attribute_not_exists(pk)")
    assert failed.returncode != 0 and "ConditionalCheckFailedException" in failed.stderr


def test_partiql_execute_transaction(ddb):
    table = make_table(ddb, None)
    ddb.execute_transaction(
        TransactStatements=[
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'x', 'n': 1}}"},
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': ?, 'n': 2}}", "Parameters": [{"S": "y"}]},
        ],
        ClientRequestToken=uuid.uuid4().hex,
    )
    read = ddb.execute_transaction(
        TransactStatements=[
            {"Statement": f"SELECT n FROM \"{table}\" WHERE pk = 'x'"},
            {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'nope'"},
        ]
    )["Responses"]
    assert read == [{"Item": {"n": {"N": "1"}}}, {}]
    code, status, message, response = error_of(
        ddb.execute_transaction,
        TransactStatements=[
            {"Statement": f"UPDATE \"{table}\" SET n = 10 WHERE pk = 'y'"},
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'x'}}"},
        ],
    )
    assert (code, status) == ("TransactionCanceledException", 400)
    assert message == "Transaction cancelled, please refer cancellation reasons for specific reasons [None, DuplicateItem]"
    assert [r["Code"] for r in response["CancellationReasons"]] == ["None", "DuplicateItem"]
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "y"}})["Item"]["n"] == {"N": "2"}
    ddb.execute_transaction(
        TransactStatements=[
            {"Statement": f"UPDATE \"{table}\" SET n = n + 5 WHERE pk = 'y'"},
            {"Statement": f"DELETE FROM \"{table}\" WHERE pk = 'x'"},
        ]
    )
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "y"}})["Item"]["n"] == {"N": "7"}
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "x"}})


def test_index_pagination_has_no_gaps_or_repeats(ddb):
    table = make_table(
        ddb,
        range_type="N",
        definitions=[{"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "v", "AttributeType": "N"}],
        GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "v", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "by-v", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "v", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    )
    fill(ddb, table, partitions=("a", "b"), count=9)  # v repeats (i % 3): index keys collide

    def pages(**kwargs):
        seen, start = [], None
        while True:
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = ddb.query(TableName=table, Limit=2, **kwargs)
            seen += [(i["pk"]["S"], i["sk"]["N"]) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return seen

    for forward in (True, False):
        gsi = pages(IndexName="by-g", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "group-0"}}, ScanIndexForward=forward)
        assert len(gsi) == len(set(gsi)) == 10
        lsi = pages(IndexName="by-v", KeyConditionExpression="pk = :p AND v >= :one", ExpressionAttributeValues={":p": {"S": "a"}, ":one": {"N": "1"}}, ScanIndexForward=forward)
        assert len(lsi) == len(set(lsi)) == 6
    scanned, start = [], None
    while True:
        kwargs = {"ExclusiveStartKey": start} if start else {}
        page = ddb.scan(TableName=table, IndexName="by-g", Limit=3, **kwargs)
        scanned += [(i["pk"]["S"], i["sk"]["N"]) for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert len(scanned) == len(set(scanned)) == 18
    segments = [ddb.scan(TableName=table, Segment=s, TotalSegments=4)["Items"] for s in range(4)]
    keys = [(i["pk"]["S"], i["sk"]["N"]) for part in segments for i in part]
    assert len(keys) == len(set(keys)) == 18


def test_substitutions_without_expressions(ddb):
    table = make_table(ddb, None)
    code, status, message, _ = error_of(ddb.put_item, TableName=table, Item={"pk": {"S": "a"}}, ExpressionAttributeValues={":v": {"S": "x"}})
    assert (code, status, message) == ("ValidationException", 400, "ExpressionAttributeValues can only be specified when using expressions")
    code, _, message, _ = error_of(ddb.get_item, TableName=table, Key={"pk": {"S": "a"}}, ExpressionAttributeNames={"#n": "x"})
    assert message == "ExpressionAttributeNames can only be specified when using expressions"


def test_reverse_pages_mirror_forward_pages_over_hundreds_of_items(ddb):
    """Backward pages start right below ExclusiveStartKey (and above the sort
    range); across key conditions and page sizes they hold exactly the
    forward pages' items, in reverse."""
    table = make_table(ddb, definitions=[{"AttributeName": "n", "AttributeType": "N"}],
                       LocalSecondaryIndexes=[{"IndexName": "by-n", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    # Sort keys that are prefixes of each other, and numbers of both signs
    # whose index keys repeat (ties are broken by the table's sort key).
    sort_keys = [f"k{i:03d}" for i in range(300)] + ["k", "k0", "k00", "k1", "k1z", "k2\u00e9"]
    for chunk in range(0, len(sort_keys), 25):
        ddb.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"S": sk}, "n": {"N": str((i % 50) - 25)}}}}
            for i, sk in enumerate(sort_keys[chunk:chunk + 25], start=chunk)]})
    ddb.put_item(TableName=table, Item={"pk": {"S": "other"}, "sk": {"S": "k150"}, "n": {"N": "0"}})

    def pages(limit, forward, **kwargs):
        seen, start, count = [], None, 0
        while True:
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = ddb.query(TableName=table, Limit=limit, ScanIndexForward=forward, **kwargs)
            assert page["Count"] == len(page["Items"]) <= limit
            seen += [i["sk"]["S"] for i in page["Items"]]
            start, count = page.get("LastEvaluatedKey"), count + 1
            if not start:
                return seen, count

    utf8 = lambda text: text.encode()  # noqa: E731  (DynamoDB orders strings by UTF-8 bytes)
    conditions = [
        ("pk = :p", {}, lambda sk: True),
        ("pk = :p AND sk < :x", {":x": {"S": "k150"}}, lambda sk: utf8(sk) < b"k150"),
        ("pk = :p AND sk <= :x", {":x": {"S": "k150"}}, lambda sk: utf8(sk) <= b"k150"),
        ("pk = :p AND sk = :x", {":x": {"S": "k1"}}, lambda sk: sk == "k1"),
        ("pk = :p AND sk BETWEEN :lo AND :hi", {":lo": {"S": "k0"}, ":hi": {"S": "k099"}}, lambda sk: b"k0" <= utf8(sk) <= b"k099"),
        ("pk = :p AND begins_with(sk, :x)", {":x": {"S": "k1"}}, lambda sk: sk.startswith("k1")),
        ("pk = :p AND sk > :x", {":x": {"S": "k250"}}, lambda sk: utf8(sk) > b"k250"),
    ]
    for condition, values, matches in conditions:
        values = {":p": {"S": "p"}, **values}
        expected = sorted((sk for sk in sort_keys if matches(sk)), key=utf8)
        assert len(expected) > 0
        for limit in (7, 64):
            forward, _ = pages(limit, True, KeyConditionExpression=condition, ExpressionAttributeValues=values)
            backward, count = pages(limit, False, KeyConditionExpression=condition, ExpressionAttributeValues=values)
            assert forward == expected, condition
            assert backward == expected[::-1], (condition, limit)
            assert count >= len(expected) // limit
    # The same over a local index, where positions hold the table key too.
    by_index = lambda forward: pages(9, forward, IndexName="by-n", KeyConditionExpression="pk = :p AND n BETWEEN :lo AND :hi",  # noqa: E731
                                     ExpressionAttributeValues={":p": {"S": "p"}, ":lo": {"N": "-3"}, ":hi": {"N": "3"}})[0]
    forward = by_index(True)
    assert len(forward) == len(set(forward)) == 7 * 6 + sum(1 for i in range(300, 306) if -3 <= (i % 50) - 25 <= 3)
    assert by_index(False) == forward[::-1]
