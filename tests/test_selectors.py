"""Label and field selectors: kubectl's grammar, apimachinery's messages, metav1.LabelSelector objects."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubetui.engine.api.errors import ApiError
from kubetui.engine.api.selectors import (
    LabelSelector, from_label_selector_object, from_set, parse_field_selector, parse_label_selector,
    supported_fields, validate_field_selector, validate_label_selector_object,
)


def bad_request(fn, *args) -> str:
    with pytest.raises(ApiError) as info:
        fn(*args)
    assert info.value.code == 400 and info.value.reason == "BadRequest"
    return info.value.message


# -- label selector grammar --------------------------------------------------------------------


@pytest.mark.parametrize("text, labels, expected", [
    ("app=web", {"app": "web"}, True),
    ("app=web", {"app": "db"}, False),
    ("app=web", {}, False),
    ("app==web", {"app": "web"}, True),
    ("app!=web", {"app": "db"}, True),
    ("app!=web", {}, True),  # a missing label is "not equal"
    ("app!=web", {"app": "web"}, False),
    ("env in (prod,staging)", {"env": "staging"}, True),
    ("env in (prod,staging)", {"env": "dev"}, False),
    ("env in (prod,staging)", {}, False),
    ("env notin (prod,staging)", {"env": "dev"}, True),
    ("env notin (prod,staging)", {}, True),
    ("env notin (prod,staging)", {"env": "prod"}, False),
    ("env", {"env": ""}, True),
    ("env", {"app": "x"}, False),
    ("!env", {"app": "x"}, True),
    ("!env", {"env": "x"}, False),
    ("app=web,tier=front", {"app": "web", "tier": "front", "x": "y"}, True),
    ("app=web,tier=front", {"app": "web"}, False),
    ("app=", {"app": ""}, True),
    ("app=", {}, False),
    ("app in ()", {"app": ""}, True),
    ("x in (a,,b)", {"x": ""}, True),
    ("example.com/role=db", {"example.com/role": "db"}, True),
    ("replicas>2", {"replicas": "3"}, True),
    ("replicas>2", {"replicas": "2"}, False),
    ("replicas>2", {"replicas": "many"}, False),
    ("replicas<2", {"replicas": "-1"}, True),
    ("replicas<2", {}, False),
    ("", {"anything": "goes"}, True),
    ("", None, True),
])
def test_label_selector_matching(text, labels, expected):
    assert parse_label_selector(text).matches(labels) is expected


def test_whitespace_is_tolerated_and_the_canonical_string_sorts_by_key():
    sel = parse_label_selector("  tier != back ,app   in ( web , api ) ,\t!legacy,  zone ")
    assert str(sel) == "app in (api,web),!legacy,tier!=back,zone"
    assert sel.matches({"app": "api", "zone": "a", "tier": "front"})
    assert not sel.matches({"app": "api", "zone": "a", "legacy": "true"})


def test_canonical_string_keeps_the_operator_spelling():
    assert str(parse_label_selector("b==1,a=2")) == "a=2,b==1"
    assert str(parse_label_selector("x in (b,a,b)")) == "x in (a,b)"
    assert str(parse_label_selector("x notin (,a)")) == "x notin (,a)"
    assert str(parse_label_selector("n>5")) == "n>5"


def test_keywords_are_values_where_a_value_is_expected():
    sel = parse_label_selector("in=notin,notin in (in)")
    assert sel.matches({"in": "notin", "notin": "in"})
    assert str(sel) == "in=notin,notin in (in)"


def test_empty_selector():
    sel = parse_label_selector("")
    assert sel.empty and str(sel) == "" and sel.matches({}) and sel.equality_pairs() == ()
    assert not parse_label_selector("a").empty


@pytest.mark.parametrize("text, message", [
    ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
    ("a=b,", "found '', expected: identifier after ','"),
    (",a", "found ',', expected: !, identifier, or 'end of string'"),
    ("a=b=c", "found '=', expected: ',' or 'end of string'"),
    ("!a=b", "found '=', expected: ',' or 'end of string'"),
    ("a in (b", "unable to parse requirement: found '', expected: ',' or ')'"),
    ("a notin b", "unable to parse requirement: found 'b' expected: '('"),
    ("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"),
    ("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
    ("a=(", "unable to parse requirement: found '(', expected: identifier"),
    ("!", "unable to parse requirement: found '', expected: identifier"),
    ("n>-1", "unable to parse requirement: values[0][n]: Invalid value: \"-1\": a valid label must be an empty "
             "string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
             "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
             "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"),
    ("n>x", "unable to parse requirement: values[0]: Invalid value: \"x\": "
            "for 'Gt', 'Lt' operators, the value must be an integer"),
])
def test_syntax_errors(text, message):
    assert bad_request(parse_label_selector, text) == message


def test_invalid_keys_and_values_are_rejected_with_apimachinery_messages():
    msg = bad_request(parse_label_selector, "-app=web")
    assert msg.startswith('unable to parse requirement: <nil>: Invalid value: "-app": name part must consist of '
                          "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                          "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                          "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
    msg = bad_request(parse_label_selector, "app=web-")
    assert msg.startswith('unable to parse requirement: values[0][app]: Invalid value: "web-": a valid label must be '
                          "an empty string or consist of alphanumeric characters")
    assert "must be no more than 63 characters" in bad_request(parse_label_selector, "k=" + "v" * 64)
    assert "name part must be no more than 63 characters" in bad_request(parse_label_selector, "k" * 64)
    assert "prefix part a lowercase RFC 1123 subdomain" in bad_request(parse_label_selector, "Example.com/k")
    assert "prefix part must be non-empty" in bad_request(parse_label_selector, "/k")
    assert "with an optional DNS subdomain prefix and '/'" in bad_request(parse_label_selector, "a/b/c")
    # 63-character names and 253-character prefixes are fine.
    parse_label_selector(("p" * 253) + "/" + ("n" * 63) + "=" + "v" * 63)


def test_equality_pairs_feed_index_lookups():
    sel = parse_label_selector("app=web,tier==front,zone in (a),env in (x,y),!old,v!=2")
    assert dict(sel.equality_pairs()) == {"app": "web", "tier": "front", "zone": "a"}


def test_selector_value_semantics():
    assert parse_label_selector("b=1, a=2") == parse_label_selector("a=2,b=1")
    assert parse_label_selector("a=1") != parse_label_selector("a==1")
    assert len({parse_label_selector("a"), parse_label_selector(" a ")}) == 1


# Keys and values drawn from the valid label alphabet.
_name = st.from_regex(r"[a-z0-9]([-a-z0-9_.]{0,10}[a-z0-9])?", fullmatch=True)
_prefix = st.from_regex(r"[a-z0-9]{1,8}(\.[a-z0-9]{1,8}){0,2}", fullmatch=True)
_key = st.one_of(_name, st.builds(lambda p, n: f"{p}/{n}", _prefix, _name))
_value = st.one_of(st.just(""), _name)
_requirement = st.one_of(
    st.builds(lambda k, op, v: f"{k}{op}{v}", _key, st.sampled_from(["=", "==", "!="]), _value),
    st.builds(lambda k, op, vs: f"{k} {op} ({','.join(vs)})", _key, st.sampled_from(["in", "notin"]),
              st.lists(_value, min_size=1, max_size=4)),
    st.builds(lambda k, bang: f"{bang}{k}", _key, st.sampled_from(["", "!"])),
    st.builds(lambda k, op, n: f"{k}{op}{n}", _key, st.sampled_from([">", "<"]), st.integers(0, 99)),
)
_labels = st.dictionaries(st.sampled_from(["a", "b", "x.io/a", "app", "n"]),
                          st.one_of(_value, st.integers(-5, 5).map(str)), max_size=5)


@given(st.lists(_requirement, max_size=5), _labels)
def test_canonical_string_reparses_to_an_equivalent_selector(reqs, labels):
    sel = parse_label_selector(",".join(reqs))
    again = parse_label_selector(str(sel))
    assert str(again) == str(sel)
    assert again.matches(labels) == sel.matches(labels)


@given(_labels, _labels)
def test_from_set_matches_exactly_supersets(selector, labels):
    assert from_set(selector).matches(labels) == all(labels.get(k) == v for k, v in selector.items())


# -- metav1.LabelSelector objects -----------------------------------------------------------


def test_label_selector_object():
    sel = from_label_selector_object({
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["front", "edge"]},
            {"key": "env", "operator": "NotIn", "values": ["dev"]},
            {"key": "zone", "operator": "Exists"},
            {"key": "legacy", "operator": "DoesNotExist"},
        ],
    })
    assert str(sel) == "app=web,env notin (dev),!legacy,tier in (edge,front),zone"
    assert sel.matches({"app": "web", "tier": "edge", "zone": "z1"})
    assert not sel.matches({"app": "web", "tier": "edge", "zone": "z1", "env": "dev"})
    assert not sel.matches({"app": "web", "tier": "edge"})
    assert dict(sel.equality_pairs()) == {"app": "web"}


def test_nil_selector_object_matches_nothing_and_empty_matches_everything():
    nothing = from_label_selector_object(None)
    assert not nothing.matches({}) and not nothing.matches({"a": "b"}) and not nothing.empty
    assert str(nothing) == ""
    for everything in (from_label_selector_object({}), from_label_selector_object({"matchLabels": {}})):
        assert everything.empty and everything.matches({"a": "b"}) and everything.matches(None)


def test_selector_object_errors():
    assert bad_request(from_label_selector_object,
                       {"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["b"]}]}) == (
        '"Equals" is not a valid label selector operator')
    assert bad_request(from_label_selector_object, {"matchExpressions": [{"key": "a", "operator": "In"}]}) == (
        "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty")


def test_validate_label_selector_object_paths():
    errs = validate_label_selector_object({
        "matchLabels": {"app": "web", "bad key": "v-"},
        "matchExpressions": [
            {"key": "a", "operator": "In", "values": []},
            {"key": "b", "operator": "Exists", "values": ["x"]},
            {"key": "c", "operator": "Equals", "values": ["x"]},
            {"key": "-d", "operator": "NotIn", "values": ["ok", "not ok"]},
        ],
    }, "spec.selector")
    rendered = [str(e) for e in errs]
    assert rendered[0].startswith('spec.selector.matchLabels: Invalid value: "bad key": name part must consist')
    assert rendered[1].startswith('spec.selector.matchLabels: Invalid value: "v-": a valid label must be')
    assert rendered[2] == ("spec.selector.matchExpressions[0].values: Required value: "
                           "must be specified when `operator` is 'In' or 'NotIn'")
    assert rendered[3] == ("spec.selector.matchExpressions[1].values: Forbidden: "
                           "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
    assert rendered[4] == ('spec.selector.matchExpressions[2].operator: Invalid value: "Equals": '
                           "not a valid selector operator")
    assert rendered[5].startswith('spec.selector.matchExpressions[3].key: Invalid value: "-d": name part')
    assert rendered[6].startswith('spec.selector.matchExpressions[3].values[1]: Invalid value: "not ok"')
    assert len(errs) == 7
    assert validate_label_selector_object({"matchLabels": {"app": "web"}}, "spec.selector") == []
    assert validate_label_selector_object(None, "spec.selector") == []


def test_from_set():
    sel = from_set({"b": "2", "a": "1"})
    assert str(sel) == "a=1,b=2"
    assert sel.matches({"a": "1", "b": "2", "c": "3"}) and not sel.matches({"a": "1"})
    assert from_set({}).empty and from_set({}).matches({"x": "y"})


def test_selector_from_requirements_is_fast_to_match_many_times():
    sel = LabelSelector([("app", "=", ("web",)), ("tier", "in", ("a", "b"))])
    pods = [{"app": "web", "tier": "a" if i % 2 else "c"} for i in range(1000)]
    assert sum(sel.matches(p) for p in pods) == 500


# -- field selectors -------------------------------------------------------------------------


POD = {"metadata": {"name": "web-1", "namespace": "default"},
       "spec": {"nodeName": "n1", "restartPolicy": "Always"},
       "status": {"phase": "Running", "podIP": "10.0.0.5"}}


@pytest.mark.parametrize("text, expected", [
    ("metadata.name=web-1", True),
    ("metadata.name==web-1", True),
    ("metadata.name!=web-1", False),
    ("spec.nodeName=n1,status.phase=Running", True),
    ("spec.nodeName=n1,status.phase!=Running", False),
    ("spec.nodeName=", False),
    ("status.nominatedNodeName=", True),  # missing fields read as ""
    ("spec.hostNetwork=false", True),  # unset bools select as "false", like the apiserver renders them
    ("status.podIP=10.0.0.5", True),
    ("", True),
])
def test_field_selector_matching(text, expected):
    assert parse_field_selector(text).matches(POD) is expected


def test_field_selector_requirements_and_string():
    sel = parse_field_selector("status.phase!=Failed,spec.nodeName==n1")
    assert sel.requirements == (("spec.nodeName", "=", "n1"), ("status.phase", "!=", "Failed"))
    assert str(sel) == "spec.nodeName=n1,status.phase!=Failed"
    assert parse_field_selector("").empty and not sel.empty


def test_field_selector_escapes():
    sel = parse_field_selector(r"metadata.name=a\,b\=c\\d")
    assert sel.requirements == (("metadata.name", "=", "a,b=c\\d"),)
    assert str(sel) == r"metadata.name=a\,b\=c\\d"
    assert sel.matches({"metadata": {"name": "a,b=c\\d"}})
    assert bad_request(parse_field_selector, r"a=b\x") == r"invalid field selector: invalid escape sequence: \x"
    assert bad_request(parse_field_selector, "a=b=c") == "invalid field selector: unescaped character in value: 61"


def test_field_selector_syntax_error():
    assert bad_request(parse_field_selector, "spec.nodeName") == (
        "invalid selector: 'spec.nodeName'; can't understand 'spec.nodeName'")


def test_event_and_node_fields():
    event = {"involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "default", "uid": "u1"},
             "reason": "Scheduled", "type": "Normal", "source": {"component": "default-scheduler"},
             "reportingController": "default-scheduler"}
    sel = parse_field_selector("involvedObject.kind=Pod,involvedObject.name=web-1,reason=Scheduled,"
                               "source=default-scheduler,reportingComponent=default-scheduler,type=Normal")
    assert sel.matches(event)
    assert not parse_field_selector("involvedObject.uid=u2").matches(event)
    node = {"metadata": {"name": "n1"}, "spec": {"unschedulable": True}}
    assert parse_field_selector("spec.unschedulable=true").matches(node)
    assert parse_field_selector("spec.unschedulable=false").matches({"metadata": {"name": "n2"}, "spec": {}})


def test_supported_fields_per_kind():
    assert {"spec.nodeName", "status.phase", "spec.hostNetwork", "metadata.name"} <= supported_fields("Pod")
    assert {"involvedObject.kind", "reason", "source", "reportingComponent", "type"} <= supported_fields("Event")
    assert supported_fields("Node") == {"metadata.name", "spec.unschedulable"}
    assert supported_fields("Deployment") == {"metadata.name", "metadata.namespace"}
    validate_field_selector("Pod", parse_field_selector("spec.nodeName=n1,status.phase=Running"))
    validate_field_selector("Secret", parse_field_selector("type=Opaque"))


def test_unsupported_field_is_a_bad_request():
    assert bad_request(validate_field_selector, "Pod", parse_field_selector("spec.foo=bar")) == (
        "field label not supported: spec.foo")
    assert bad_request(validate_field_selector, "Deployment", parse_field_selector("status.replicas=1")) == (
        '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"')
    # Whitespace is not trimmed, as upstream.
    assert bad_request(validate_field_selector, "Pod", parse_field_selector("status.phase =Running")) == (
        "field label not supported: status.phase ")
