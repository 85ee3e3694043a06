"""DynamoDB's legacy (pre-expression) parameters end to end through boto3:
Expected, AttributeUpdates, KeyConditions, QueryFilter, ScanFilter,
ConditionalOperator and AttributesToGet, with their results and DynamoDB's
validation messages. Every table has a unique name: the server is shared."""

from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import REGION
# The same clients as the main DynamoDB tests: `ddb`, and `raw` without botocore validation.
from test_dynamodb import ddb, raw  # noqa: F401

INVALID = "One or more parameter values were invalid: "
# DynamoDB reports an Expected entry's own inconsistencies with a count prefix.
INVALID_EXPECTED = "1 validation error detected: " + INVALID


def error_of(call, **kwargs) -> tuple[str, int, str, dict]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
        response,
    )


def validation_message(call, **kwargs) -> str:
    code, status, message, _ = error_of(call, **kwargs)
    assert (code, status) == ("ValidationException", 400), message
    return message


def make_table(ddb, range_key: str | None = "sk", range_type: str = "S") -> str:
    table = f"legacy-{uuid.uuid4().hex[:12]}"
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    definitions = [{"AttributeName": "pk", "AttributeType": "S"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
        definitions.append({"AttributeName": range_key, "AttributeType": range_type})
    ddb.create_table(
        TableName=table, KeySchema=schema, AttributeDefinitions=definitions, BillingMode="PAY_PER_REQUEST"
    )
    return table


@pytest.fixture
def hash_table(ddb) -> str:
    return make_table(ddb, range_key=None)


# One stored item that every comparison below is judged against.
STORED = {
    "pk": {"S": "item"},
    "n": {"N": "5"},
    "s": {"S": "hello"},
    "b": {"B": b"\x01\x02\x03"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2"]},
    "l": {"L": [{"S": "x"}, {"N": "1"}]},
    "m": {"M": {"k": {"S": "v"}}},
    "flag": {"BOOL": True},
}


# --- Expected ---------------------------------------------------------------


def test_expected_exists_false_is_insert_if_absent(ddb, hash_table):
    item = {"pk": {"S": "once"}, "v": {"N": "1"}}
    ddb.put_item(TableName=hash_table, Item=item, Expected={"pk": {"Exists": False}})
    code, status, message, _ = error_of(
        ddb.put_item, TableName=hash_table, Item={**item, "v": {"N": "2"}}, Expected={"pk": {"Exists": False}}
    )
    assert (code, status, message) == ("ConditionalCheckFailedException", 400, "The conditional request failed")
    assert ddb.get_item(TableName=hash_table, Key={"pk": {"S": "once"}})["Item"]["v"] == {"N": "1"}


def test_expected_value_is_optimistic_locking(ddb, hash_table):
    key = {"pk": {"S": "locked"}}
    ddb.put_item(TableName=hash_table, Item={**key, "version": {"N": "5"}, "data": {"S": "a"}})
    # Value alone, and Value with Exists: true, both compare for equality.
    ddb.put_item(
        TableName=hash_table,
        Item={**key, "version": {"N": "6"}, "data": {"S": "b"}},
        Expected={"version": {"Value": {"N": "5"}}},
    )
    ddb.update_item(
        TableName=hash_table,
        Key=key,
        AttributeUpdates={"version": {"Action": "PUT", "Value": {"N": "7"}}},
        Expected={"version": {"Value": {"N": "6"}, "Exists": True}},
    )
    code, _, _, response = error_of(
        ddb.delete_item,
        TableName=hash_table,
        Key=key,
        Expected={"version": {"Value": {"N": "6"}, "Exists": True}},
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    assert code == "ConditionalCheckFailedException"
    assert response["Item"]["version"] == {"N": "7"}
    # A missing item fails a Value expectation.
    code, *_ = error_of(
        ddb.put_item,
        TableName=hash_table,
        Item={"pk": {"S": "never-written"}},
        Expected={"version": {"Value": {"N": "1"}}},
    )
    assert code == "ConditionalCheckFailedException"
    deleted = ddb.delete_item(
        TableName=hash_table, Key=key, Expected={"version": {"Value": {"N": "7"}}}, ReturnValues="ALL_OLD"
    )
    assert deleted["Attributes"]["data"] == {"S": "b"}
    assert "Item" not in ddb.get_item(TableName=hash_table, Key=key)


COMPARISONS = [
    ("n", "EQ", [{"N": "5.0"}], True),
    ("n", "EQ", [{"S": "5"}], False),
    ("l", "EQ", [{"L": [{"S": "x"}, {"N": "1"}]}], True),
    ("n", "NE", [{"N": "6"}], True),
    ("n", "NE", [{"N": "5"}], False),
    ("missing", "NE", [{"N": "5"}], True),
    ("n", "LE", [{"N": "5"}], True),
    ("n", "LT", [{"N": "5"}], False),
    ("n", "GE", [{"N": "5"}], True),
    ("n", "GT", [{"N": "4"}], True),
    ("s", "GT", [{"S": "hellp"}], False),
    ("b", "LT", [{"B": b"\x01\x03"}], True),
    ("n", "NOT_NULL", [], True),
    ("missing", "NOT_NULL", [], False),
    ("missing", "NULL", [], True),
    ("n", "NULL", [], False),
    ("s", "CONTAINS", [{"S": "ell"}], True),
    ("ss", "CONTAINS", [{"S": "b"}], True),
    ("ns", "CONTAINS", [{"N": "3"}], False),
    ("l", "CONTAINS", [{"N": "1"}], True),
    ("b", "CONTAINS", [{"B": b"\x02\x03"}], True),
    ("ss", "NOT_CONTAINS", [{"S": "z"}], True),
    ("s", "NOT_CONTAINS", [{"S": "ell"}], False),
    ("s", "BEGINS_WITH", [{"S": "he"}], True),
    ("s", "BEGINS_WITH", [{"S": "lo"}], False),
    ("b", "BEGINS_WITH", [{"B": b"\x01"}], True),
    ("n", "IN", [{"N": "1"}, {"N": "5"}], True),
    ("s", "IN", [{"S": "a"}, {"S": "b"}], False),
    ("n", "BETWEEN", [{"N": "5"}, {"N": "9"}], True),
    ("n", "BETWEEN", [{"N": "6"}, {"N": "9"}], False),
    ("s", "BETWEEN", [{"S": "a"}, {"S": "i"}], True),
]


@pytest.mark.parametrize(("attribute", "operator", "values", "holds"), COMPARISONS)
def test_expected_comparison_operators(ddb, hash_table, attribute, operator, values, holds):
    ddb.put_item(TableName=hash_table, Item=STORED)
    expected = {attribute: {"ComparisonOperator": operator, "AttributeValueList": values}}
    if holds:
        ddb.put_item(TableName=hash_table, Item={**STORED, "touched": {"N": "1"}}, Expected=expected)
        assert "touched" in ddb.get_item(TableName=hash_table, Key={"pk": STORED["pk"]})["Item"]
    else:
        code, *_ = error_of(ddb.put_item, TableName=hash_table, Item=STORED, Expected=expected)
        assert code == "ConditionalCheckFailedException"


def test_expected_value_with_comparison_operator(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=STORED)
    ddb.put_item(TableName=hash_table, Item=STORED, Expected={"n": {"Value": {"N": "4"}, "ComparisonOperator": "GT"}})
    code, *_ = error_of(
        ddb.put_item, TableName=hash_table, Item=STORED, Expected={"n": {"Value": {"N": "5"}, "ComparisonOperator": "GT"}}
    )
    assert code == "ConditionalCheckFailedException"


def test_conditional_operator_joins_expected_entries(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=STORED)
    one_true = {"n": {"Value": {"N": "5"}}, "s": {"Value": {"S": "other"}}}
    ddb.put_item(TableName=hash_table, Item=STORED, Expected=one_true, ConditionalOperator="OR")
    for operator in ("AND", None):
        extra = {"ConditionalOperator": operator} if operator else {}
        code, *_ = error_of(ddb.put_item, TableName=hash_table, Item=STORED, Expected=one_true, **extra)
        assert code == "ConditionalCheckFailedException"
    message = validation_message(
        ddb.put_item, TableName=hash_table, Item=STORED, Expected={"n": {"Exists": True, "Value": {"N": "5"}}},
        ConditionalOperator="OR",
    )
    assert message == "ConditionalOperator can only be used when Filter or Expected has two or more elements"
    message = validation_message(ddb.put_item, TableName=hash_table, Item=STORED, ConditionalOperator="AND")
    assert message == "ConditionalOperator cannot be used without Filter or Expected"


EXPECTED_ERRORS = [
    ({"Exists": True}, INVALID_EXPECTED + "Value must be provided when Exists is true for Attribute: a"),
    ({}, INVALID_EXPECTED + "Value must be provided when Exists is null for Attribute: a"),
    ({"Exists": False, "Value": {"S": "x"}}, INVALID_EXPECTED + "Value cannot be used when Exists is false for Attribute: a"),
    (
        {"Exists": True, "ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]},
        INVALID_EXPECTED + "Exists and ComparisonOperator cannot be used together for Attribute: a",
    ),
    (
        {"Value": {"S": "x"}, "ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]},
        INVALID_EXPECTED + "Value and AttributeValueList cannot be used together for Attribute: a",
    ),
    (
        {"AttributeValueList": [{"S": "x"}]},
        INVALID_EXPECTED + "AttributeValueList can only be used with a ComparisonOperator for Attribute: a",
    ),
    (
        {"ComparisonOperator": "GT"},
        INVALID_EXPECTED + "Value or AttributeValueList must be used with ComparisonOperator: GT for Attribute: a",
    ),
    (
        {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}, {"S": "y"}]},
        INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator",
    ),
    ({"ComparisonOperator": "NULL", "Value": {"S": "x"}}, INVALID + "Invalid number of argument(s) for the NULL ComparisonOperator"),
    ({"ComparisonOperator": "BETWEEN", "Value": {"N": "1"}}, INVALID + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    (
        {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "x"}, {"N": "1"}]},
        INVALID + "AttributeValues inside AttributeValueList must be of same type",
    ),
    (
        {"ComparisonOperator": "LT", "AttributeValueList": [{"SS": ["x"]}]},
        INVALID + "ComparisonOperator LT is not valid for SS AttributeValue type",
    ),
    (
        {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"N": "1"}]},
        INVALID + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type",
    ),
    (
        {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "9"}, {"N": "1"}]},
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
    ),
]


@pytest.mark.parametrize(("entry", "message"), EXPECTED_ERRORS)
def test_expected_validation_messages(raw, hash_table, entry, message):
    for call, args in (
        (raw.put_item, {"Item": {"pk": {"S": "k"}}}),
        (raw.delete_item, {"Key": {"pk": {"S": "k"}}}),
        (raw.update_item, {"Key": {"pk": {"S": "k"}}}),
    ):
        assert validation_message(call, TableName=hash_table, Expected={"a": entry}, **args) == message


def test_unknown_comparison_operator_is_a_model_error(raw, hash_table):
    message = validation_message(
        raw.put_item,
        TableName=hash_table,
        Item={"pk": {"S": "k"}},
        Expected={"a": {"ComparisonOperator": "ALMOST", "AttributeValueList": [{"S": "x"}]}},
    )
    assert "Value 'ALMOST' at 'expected.a.member.comparisonOperator' failed to satisfy constraint" in message
    assert "Member must satisfy enum value set" in message


# --- mixing legacy and expression parameters --------------------------------


def mixed(legacy: str, expressions: str) -> str:
    return (
        "Can not use both expression and non-expression parameters in the same request: "
        f"Non-expression parameters: {{{legacy}}} Expression parameters: {{{expressions}}}"
    )


def test_mixing_legacy_and_expression_parameters_is_refused(ddb):
    table = make_table(ddb)
    key = {"pk": {"S": "p"}, "sk": {"S": "s"}}
    cases = [
        (
            ddb.put_item,
            {"Item": key, "Expected": {"pk": {"Exists": False}}, "ConditionExpression": "attribute_not_exists(pk)"},
            mixed("Expected", "ConditionExpression"),
        ),
        (
            ddb.update_item,
            {
                "Key": key,
                "AttributeUpdates": {"a": {"Value": {"N": "1"}}},
                "Expected": {"a": {"Exists": False}},
                "ConditionalOperator": "AND",
                "UpdateExpression": "SET b = :b",
                "ConditionExpression": "attribute_not_exists(b)",
                "ExpressionAttributeValues": {":b": {"N": "1"}},
            },
            mixed("AttributeUpdates, Expected, ConditionalOperator", "UpdateExpression, ConditionExpression"),
        ),
        (
            ddb.delete_item,
            {"Key": key, "Expected": {"a": {"Exists": False}}, "ConditionExpression": "attribute_exists(a)"},
            mixed("Expected", "ConditionExpression"),
        ),
        (
            ddb.get_item,
            {"Key": key, "AttributesToGet": ["a"], "ProjectionExpression": "b"},
            mixed("AttributesToGet", "ProjectionExpression"),
        ),
        (
            ddb.query,
            {
                "KeyConditionExpression": "pk = :p",
                "QueryFilter": {"a": {"ComparisonOperator": "NOT_NULL"}},
                "ExpressionAttributeValues": {":p": {"S": "p"}},
            },
            mixed("QueryFilter", "KeyConditionExpression"),
        ),
        (
            ddb.query,
            {
                "KeyConditionExpression": "pk = :p",
                "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}},
                "ExpressionAttributeValues": {":p": {"S": "p"}},
            },
            mixed("KeyConditions", "KeyConditionExpression"),
        ),
        (
            ddb.scan,
            {
                "ScanFilter": {"a": {"ComparisonOperator": "NOT_NULL"}},
                "FilterExpression": "attribute_exists(b)",
                "AttributesToGet": ["a"],
            },
            mixed("AttributesToGet, ScanFilter", "FilterExpression"),
        ),
    ]
    for call, args, message in cases:
        assert validation_message(call, TableName=table, **args) == message


def test_expression_attribute_names_need_an_expression(ddb):
    table = make_table(ddb)
    message = validation_message(
        ddb.query,
        TableName=table,
        KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}},
        ExpressionAttributeNames={"#a": "a"},
    )
    assert message == "ExpressionAttributeNames can only be specified when using expressions"


# --- AttributeUpdates -------------------------------------------------------


def test_attribute_updates_actions(ddb, hash_table):
    key = {"pk": {"S": "u"}}
    # An update of a missing item creates it (PUT is the default action).
    created = ddb.update_item(
        TableName=hash_table,
        Key=key,
        AttributeUpdates={
            "name": {"Value": {"S": "first"}},
            "count": {"Action": "ADD", "Value": {"N": "2"}},
            "tags": {"Action": "ADD", "Value": {"SS": ["a", "b"]}},
            "log": {"Action": "ADD", "Value": {"L": [{"S": "created"}]}},
            "absent": {"Action": "DELETE"},
        },
        ReturnValues="ALL_NEW",
    )["Attributes"]
    assert created == {
        "pk": {"S": "u"},
        "name": {"S": "first"},
        "count": {"N": "2"},
        "tags": {"SS": ["a", "b"]},
        "log": {"L": [{"S": "created"}]},
    }
    updated = ddb.update_item(
        TableName=hash_table,
        Key=key,
        AttributeUpdates={
            "count": {"Action": "ADD", "Value": {"N": "-0.5"}},
            "tags": {"Action": "DELETE", "Value": {"SS": ["a", "zz"]}},
            "log": {"Action": "ADD", "Value": {"L": [{"S": "updated"}]}},
            "name": {"Action": "DELETE"},
            "nums": {"Action": "ADD", "Value": {"NS": ["1"]}},
        },
        ReturnValues="UPDATED_NEW",
    )["Attributes"]
    assert updated == {
        "count": {"N": "1.5"},
        "tags": {"SS": ["b"]},
        "log": {"L": [{"S": "created"}, {"S": "updated"}]},
        "nums": {"NS": ["1"]},
    }
    old = ddb.update_item(
        TableName=hash_table,
        Key=key,
        AttributeUpdates={"tags": {"Action": "DELETE", "Value": {"SS": ["b"]}}},
        ReturnValues="UPDATED_OLD",
    )["Attributes"]
    assert old == {"tags": {"SS": ["b"]}}
    item = ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"]
    assert "tags" not in item and "name" not in item
    assert item["count"] == {"N": "1.5"}


def test_attribute_updates_with_expected(ddb, hash_table):
    key = {"pk": {"S": "guarded"}}
    ddb.put_item(TableName=hash_table, Item={**key, "state": {"S": "new"}})
    ddb.update_item(
        TableName=hash_table,
        Key=key,
        AttributeUpdates={"state": {"Action": "PUT", "Value": {"S": "done"}}},
        Expected={"state": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "new"}, {"S": "retry"}]}},
    )
    code, _, _, response = error_of(
        ddb.update_item,
        TableName=hash_table,
        Key=key,
        AttributeUpdates={"state": {"Action": "PUT", "Value": {"S": "again"}}},
        Expected={"state": {"Value": {"S": "new"}}},
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    assert code == "ConditionalCheckFailedException"
    assert response["Item"]["state"] == {"S": "done"}


ATTRIBUTE_UPDATE_ERRORS = [
    ({"Action": "PUT"}, INVALID + "Only DELETE action is allowed when no attribute value is specified"),
    ({"Action": "ADD"}, INVALID + "Only DELETE action is allowed when no attribute value is specified"),
    ({"Action": "DELETE", "Value": {"N": "1"}}, INVALID + "DELETE action with value is not supported for the type N"),
    ({"Action": "DELETE", "Value": {"L": []}}, INVALID + "DELETE action with value is not supported for the type L"),
    ({"Action": "ADD", "Value": {"S": "x"}}, INVALID + "ADD action is not supported for the type S"),
    ({"Action": "ADD", "Value": {"M": {}}}, INVALID + "ADD action is not supported for the type M"),
    ({"Action": "ADD", "Value": {"BOOL": True}}, INVALID + "ADD action is not supported for the type BOOL"),
]


@pytest.mark.parametrize(("update", "message"), ATTRIBUTE_UPDATE_ERRORS)
def test_attribute_update_validation_messages(ddb, hash_table, update, message):
    assert (
        validation_message(ddb.update_item, TableName=hash_table, Key={"pk": {"S": "k"}}, AttributeUpdates={"a": update})
        == message
    )


def test_attribute_update_type_clashes_and_keys(ddb, hash_table):
    key = {"pk": {"S": "typed"}}
    ddb.put_item(TableName=hash_table, Item={**key, "s": {"S": "x"}, "n": {"N": "1"}, "ss": {"SS": ["a"]}})
    for update in (
        {"s": {"Action": "ADD", "Value": {"N": "1"}}},
        {"n": {"Action": "ADD", "Value": {"SS": ["a"]}}},
        {"n": {"Action": "ADD", "Value": {"L": [{"N": "1"}]}}},
        {"ss": {"Action": "DELETE", "Value": {"NS": ["1"]}}},
        {"ss": {"Action": "ADD", "Value": {"NS": ["1"]}}},
    ):
        message = validation_message(ddb.update_item, TableName=hash_table, Key=key, AttributeUpdates=update)
        assert message == "Type mismatch for attribute to update", update
    message = validation_message(
        ddb.update_item, TableName=hash_table, Key=key, AttributeUpdates={"pk": {"Value": {"S": "other"}}}
    )
    assert message == INVALID + "Cannot update attribute pk. This attribute is part of the key"
    # Nothing was changed by the refused updates.
    assert ddb.get_item(TableName=hash_table, Key=key)["Item"] == {
        **key,
        "s": {"S": "x"},
        "n": {"N": "1"},
        "ss": {"SS": ["a"]},
    }


def test_unknown_action_is_a_model_error(raw, hash_table):
    message = validation_message(
        raw.update_item,
        TableName=hash_table,
        Key={"pk": {"S": "k"}},
        AttributeUpdates={"a": {"Action": "APPEND", "Value": {"S": "x"}}},
    )
    assert "Value 'APPEND' at 'attributeUpdates.a.member.action' failed to satisfy constraint" in message


# --- KeyConditions, QueryFilter ---------------------------------------------


@pytest.fixture
def sorted_table(ddb) -> str:
    table = make_table(ddb, range_key="sk", range_type="N")
    for sk in range(1, 11):
        item = {"pk": {"S": "p"}, "sk": {"N": str(sk)}, "parity": {"S": "even" if sk % 2 == 0 else "odd"}}
        if sk % 3 == 0:
            item["fizz"] = {"BOOL": True}
        ddb.put_item(TableName=table, Item=item)
    ddb.put_item(TableName=table, Item={"pk": {"S": "other"}, "sk": {"N": "1"}})
    return table


def key_conditions(sort: tuple[str, list] | None = None) -> dict:
    conditions = {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}}
    if sort:
        conditions["sk"] = {"ComparisonOperator": sort[0], "AttributeValueList": sort[1]}
    return conditions


def sort_keys(response) -> list[int]:
    return [int(item["sk"]["N"]) for item in response["Items"]]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, list(range(1, 11))),
        (("EQ", [{"N": "4"}]), [4]),
        (("LT", [{"N": "3"}]), [1, 2]),
        (("LE", [{"N": "3"}]), [1, 2, 3]),
        (("GT", [{"N": "8"}]), [9, 10]),
        (("GE", [{"N": "8"}]), [8, 9, 10]),
        (("BETWEEN", [{"N": "4"}, {"N": "6"}]), [4, 5, 6]),
    ],
)
def test_key_conditions(ddb, sorted_table, sort, expected):
    response = ddb.query(TableName=sorted_table, KeyConditions=key_conditions(sort))
    assert sort_keys(response) == expected
    assert response["Count"] == len(expected)
    backwards = ddb.query(TableName=sorted_table, KeyConditions=key_conditions(sort), ScanIndexForward=False)
    assert sort_keys(backwards) == expected[::-1]


def test_key_conditions_begins_with_and_paging(ddb):
    table = make_table(ddb)
    for sk in ("a#1", "a#2", "a#3", "b#1"):
        ddb.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": sk}})
    conditions = key_conditions(("BEGINS_WITH", [{"S": "a#"}]))
    first = ddb.query(TableName=table, KeyConditions=conditions, Limit=2)
    assert [i["sk"]["S"] for i in first["Items"]] == ["a#1", "a#2"]
    rest = ddb.query(TableName=table, KeyConditions=conditions, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert [i["sk"]["S"] for i in rest["Items"]] == ["a#3"]


def test_key_condition_errors(ddb, raw, sorted_table):
    cases = [
        (key_conditions(("NE", [{"N": "1"}])), "Attempted conditional constraint is not an indexable operation"),
        (key_conditions(("IN", [{"N": "1"}])), "Attempted conditional constraint is not an indexable operation"),
        ({"sk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}}, "Query condition missed key schema element: pk"),
        ({"pk": {"ComparisonOperator": "GT", "AttributeValueList": [{"S": "p"}]}}, "Query key condition not supported"),
        (key_conditions(("EQ", [])), INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator"),
        (key_conditions(("EQ", [{"S": "1"}])), INVALID + "Condition parameter type does not match schema type"),
        (
            key_conditions(("BEGINS_WITH", [{"N": "1"}])),
            INVALID + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type",
        ),
        (
            {**key_conditions(("EQ", [{"N": "1"}])), "x": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}},
            "Conditions can be of length 1 or 2 only",
        ),
    ]
    for conditions, message in cases:
        assert validation_message(raw.query, TableName=sorted_table, KeyConditions=conditions) == message, conditions
    message = validation_message(raw.query, TableName=sorted_table)
    assert message == "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."


def test_query_filter(ddb, sorted_table):
    response = ddb.query(
        TableName=sorted_table,
        KeyConditions=key_conditions(("LE", [{"N": "6"}])),
        QueryFilter={"parity": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "even"}]}},
    )
    assert sort_keys(response) == [2, 4, 6]
    assert (response["Count"], response["ScannedCount"]) == (3, 6)
    either = ddb.query(
        TableName=sorted_table,
        KeyConditions=key_conditions(),
        QueryFilter={
            "parity": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "even"}]},
            "fizz": {"ComparisonOperator": "NOT_NULL"},
        },
        ConditionalOperator="OR",
    )
    assert sort_keys(either) == [2, 3, 4, 6, 8, 9, 10]
    both = ddb.query(
        TableName=sorted_table,
        KeyConditions=key_conditions(),
        QueryFilter={
            "parity": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "even"}]},
            "fizz": {"ComparisonOperator": "NOT_NULL"},
        },
    )
    assert sort_keys(both) == [6]
    # KeyConditions may go with a FilterExpression: only KeyConditionExpression excludes them.
    mixed_ok = ddb.query(
        TableName=sorted_table,
        KeyConditions=key_conditions(),
        FilterExpression="attribute_exists(fizz)",
    )
    assert sort_keys(mixed_ok) == [3, 6, 9]


def test_query_filter_errors(ddb, sorted_table):
    message = validation_message(
        ddb.query,
        TableName=sorted_table,
        KeyConditions=key_conditions(),
        QueryFilter={"sk": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]}},
    )
    assert message == "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk"
    message = validation_message(
        ddb.query, TableName=sorted_table, KeyConditions=key_conditions(), ConditionalOperator="OR"
    )
    assert message == "ConditionalOperator cannot be used without Filter or Expected"
    # ConditionalOperator is judged before the missing key condition.
    message = validation_message(ddb.query, TableName=sorted_table, ConditionalOperator="AND")
    assert message == "ConditionalOperator cannot be used without Filter or Expected"
    message = validation_message(
        ddb.query,
        TableName=sorted_table,
        KeyConditions=key_conditions(),
        QueryFilter={"parity": {"ComparisonOperator": "NOT_NULL"}},
        ConditionalOperator="AND",
    )
    assert message == "ConditionalOperator can only be used when Filter or Expected has two or more elements"


# --- ScanFilter -------------------------------------------------------------


def test_scan_filter(ddb, sorted_table):
    def scan(**kwargs) -> list[int]:
        response = ddb.scan(TableName=sorted_table, **kwargs)
        assert response["ScannedCount"] == 11
        return sorted(sort_keys(response))

    in_odd = {"parity": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "odd"}, {"S": "none"}]}}
    assert scan(ScanFilter=in_odd) == [1, 3, 5, 7, 9]
    no_parity = {"parity": {"ComparisonOperator": "NULL"}}
    assert scan(ScanFilter=no_parity) == [1]  # the "other" partition's item
    not_fizz = {
        "fizz": {"ComparisonOperator": "NULL"},
        "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}, {"N": "5"}]},
    }
    assert scan(ScanFilter=not_fizz) == [2, 4, 5]
    assert scan(ScanFilter=not_fizz, ConditionalOperator="OR") == [1, 1, 2, 3, 4, 5, 7, 8, 10]
    contains = {"parity": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "dd"}]}}
    assert scan(ScanFilter=contains) == [1, 2, 4, 6, 8, 10]
    count = ddb.scan(TableName=sorted_table, ScanFilter=in_odd, Select="COUNT")
    assert (count["Count"], count["ScannedCount"]) == (5, 11)
    assert "Items" not in count


def test_scan_filter_errors(ddb, sorted_table):
    cases = [
        (
            {"a": {"ComparisonOperator": "GT", "AttributeValueList": [{"BOOL": True}]}},
            INVALID + "ComparisonOperator GT is not valid for BOOL AttributeValue type",
        ),
        (
            {"a": {"ComparisonOperator": "NOT_NULL", "AttributeValueList": [{"S": "x"}]}},
            INVALID + "Invalid number of argument(s) for the NOT_NULL ComparisonOperator",
        ),
        (
            {"a": {"ComparisonOperator": "IN", "AttributeValueList": []}},
            INVALID + "Invalid number of argument(s) for the IN ComparisonOperator",
        ),
        (
            {"a": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"SS": ["x"]}]}},
            INVALID + "ComparisonOperator CONTAINS is not valid for SS AttributeValue type",
        ),
    ]
    for scan_filter, message in cases:
        assert validation_message(ddb.scan, TableName=sorted_table, ScanFilter=scan_filter) == message
    message = validation_message(
        ddb.scan,
        TableName=sorted_table,
        ScanFilter={"a": {"ComparisonOperator": "NOT_NULL"}},
        ConditionalOperator="AND",
    )
    assert message == "ConditionalOperator can only be used when Filter or Expected has two or more elements"


# --- AttributesToGet --------------------------------------------------------


def test_attributes_to_get(ddb, sorted_table):
    key = {"pk": {"S": "p"}, "sk": {"N": "3"}}
    item = ddb.get_item(TableName=sorted_table, Key=key, AttributesToGet=["parity", "fizz", "missing"])["Item"]
    assert item == {"parity": {"S": "odd"}, "fizz": {"BOOL": True}}
    batch = ddb.batch_get_item(RequestItems={sorted_table: {"Keys": [key], "AttributesToGet": ["sk"]}})
    assert batch["Responses"][sorted_table] == [{"sk": {"N": "3"}}]
    queried = ddb.query(
        TableName=sorted_table,
        KeyConditions=key_conditions(("LE", [{"N": "2"}])),
        AttributesToGet=["parity"],
    )
    assert queried["Items"] == [{"parity": {"S": "odd"}}, {"parity": {"S": "even"}}]
    scanned = ddb.scan(
        TableName=sorted_table,
        ScanFilter={"fizz": {"ComparisonOperator": "NOT_NULL"}},
        AttributesToGet=["sk"],
        Select="SPECIFIC_ATTRIBUTES",
    )
    assert sorted(sort_keys(scanned)) == [3, 6, 9]
    assert all(set(i) == {"sk"} for i in scanned["Items"])


def test_attributes_to_get_errors(ddb, raw, sorted_table):
    key = {"pk": {"S": "p"}, "sk": {"N": "3"}}
    message = validation_message(ddb.get_item, TableName=sorted_table, Key=key, AttributesToGet=["a", "b", "a"])
    assert message == INVALID + "Duplicate value in attribute name: a"
    message = validation_message(
        ddb.batch_get_item,
        RequestItems={sorted_table: {"Keys": [key], "AttributesToGet": ["a"], "ProjectionExpression": "b"}},
    )
    assert message == mixed("AttributesToGet", "ProjectionExpression")
    message = validation_message(
        ddb.query, TableName=sorted_table, KeyConditions=key_conditions(), AttributesToGet=["a"], Select="COUNT"
    )
    assert "Cannot specify the AttributesToGet" in message
    message = validation_message(raw.get_item, TableName=sorted_table, Key=key, AttributesToGet=[])
    assert "at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1" in message


# --- boto3's resource layer -------------------------------------------------


def test_resource_layer_sends_legacy_parameters(endpoint, ddb, sorted_table):
    table = boto3.resource(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).Table(sorted_table)
    items = table.query(
        KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": ["p"]}},
        QueryFilter={"parity": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": ["ev"]}},
    )["Items"]
    assert [int(item["sk"]) for item in items] == [2, 4, 6, 8, 10]
    table.update_item(
        Key={"pk": "p", "sk": 1},
        AttributeUpdates={"visits": {"Action": "ADD", "Value": 3}},
        Expected={"parity": {"Value": "odd"}},
    )
    assert table.get_item(Key={"pk": "p", "sk": 1}, AttributesToGet=["visits"])["Item"] == {"visits": 3}


def test_key_conditions_on_a_global_secondary_index(ddb):
    table = f"legacy-{uuid.uuid4().hex[:12]}"
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "owner", "AttributeType": "S"},
            {"AttributeName": "rank", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-owner",
                "KeySchema": [
                    {"AttributeName": "owner", "KeyType": "HASH"},
                    {"AttributeName": "rank", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(6):
        owner = "ann" if i % 2 == 0 else "bob"
        ddb.put_item(
            TableName=table,
            Item={"pk": {"S": f"doc{i}"}, "owner": {"S": owner}, "rank": {"N": str(i)}, "size": {"N": str(10 * i)}},
        )
    response = ddb.query(
        TableName=table,
        IndexName="by-owner",
        KeyConditions={
            "owner": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "ann"}]},
            "rank": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "2"}]},
        },
        QueryFilter={"size": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "40"}]}},
    )
    assert [item["pk"]["S"] for item in response["Items"]] == ["doc2"]
    assert (response["Count"], response["ScannedCount"]) == (1, 2)
    message = validation_message(
        ddb.query,
        TableName=table,
        IndexName="by-owner",
        KeyConditions={"owner": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "ann"}]}},
        QueryFilter={"rank": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "0"}]}},
    )
    assert message == "QueryFilter can only contain non-primary key attributes: Primary key attribute: rank"


# --- the AWS CLI ------------------------------------------------------------


def test_aws_cli_legacy_parameters(aws, ddb, hash_table):
    key = '{"pk": {"S": "cli"}}'
    put = aws("dynamodb", "put-item", "--table-name", hash_table, "--item", '{"pk": {"S": "cli"}, "n": {"N": "1"}}',
              "--expected", '{"pk": {"Exists": false}}')
    assert put.returncode == 0, put.stderr
    again = aws("dynamodb", "put-item", "--table-name", hash_table, "--item", '{"pk": {"S": "cli"}}',
                "--expected", '{"pk": {"Exists": false}}')
    assert again.returncode != 0
    assert "ConditionalCheckFailedException" in again.stderr
    updated = aws("dynamodb", "update-item", "--table-name", hash_table, "--key", key,
                  "--attribute-updates", '{"n": {"Action": "ADD", "Value": {"N": "41"}}}',
                  "--expected", '{"n": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}}',
                  "--return-values", "UPDATED_NEW")
    assert updated.returncode == 0, updated.stderr
    assert updated.json()["Attributes"] == {"n": {"N": "42"}}
    scanned = aws("dynamodb", "scan", "--table-name", hash_table,
                  "--scan-filter", '{"n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "40"}]}}',
                  "--attributes-to-get", "n")
    assert scanned.returncode == 0, scanned.stderr
    assert scanned.json()["Items"] == [{"n": {"N": "42"}}]
    mixed_call = aws("dynamodb", "get-item", "--table-name", hash_table, "--key", key,
                     "--attributes-to-get", "n", "--projection-expression", "pk")
    assert mixed_call.returncode != 0
    assert "Can not use both expression and non-expression parameters in the same request" in mixed_call.stderr
