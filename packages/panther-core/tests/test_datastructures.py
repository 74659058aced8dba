"""Tests for MultiDict and query-string parsing: repeated keys, last-one-wins, blank values, bad escapes."""

import copy
import pickle

import orjson
import pytest

from panther.datastructures import MultiDict, parse_query_string


class TestMultiDict:
    def test_plain_access_gives_the_last_value(self):
        md = MultiDict([("tag", "a"), ("page", "2"), ("tag", "b")])
        assert md["tag"] == "b"
        assert md.get("page") == "2"
        assert dict(md) == {"tag": "b", "page": "2"}
        assert md == {"tag": "b", "page": "2"}
        assert list(md) == ["tag", "page"]
        assert len(md) == 2

    def test_getlist_gives_every_value_in_order(self):
        md = MultiDict([("tag", "a"), ("page", "2"), ("tag", "b"), ("tag", "c")])
        assert md.getlist("tag") == ["a", "b", "c"]
        assert md.getlist("page") == ["2"]
        assert md.getlist("missing") == []

    def test_getlist_without_repeated_keys(self):
        md = MultiDict([("a", "1"), ("b", "2")])
        assert md.getlist("a") == ["1"]
        assert md.getlist("c") == []

    def test_getlist_returns_a_copy(self):
        md = MultiDict([("a", "1"), ("a", "2")])
        md.getlist("a").append("3")
        assert md.getlist("a") == ["1", "2"]

    def test_multi_items_gives_every_pair(self):
        pairs = [("a", "1"), ("b", "2"), ("a", "3")]
        md = MultiDict(pairs)
        assert md.multi_items() == pairs
        assert md.multi_items() is not md.multi_items()

    def test_built_from_mappings_and_iterables(self):
        assert MultiDict({"a": 1}).multi_items() == [("a", 1)]
        assert MultiDict(pair for pair in [("a", 1), ("a", 2)]).getlist("a") == [1, 2]
        original = MultiDict([("a", 1), ("a", 2)])
        assert MultiDict(original).getlist("a") == [1, 2]
        assert MultiDict().multi_items() == []

    def test_repr_is_readable(self):
        assert repr(MultiDict([("a", "1"), ("a", "2")])) == "MultiDict([('a', '1'), ('a', '2')])"

    def test_is_a_dict_for_json(self):
        md = MultiDict([("a", "1"), ("a", "2"), ("b", "3")])
        assert isinstance(md, dict)
        assert orjson.loads(orjson.dumps(md)) == {"a": "2", "b": "3"}

    def test_setitem_replaces_every_value(self):
        md = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
        md["a"] = "9"
        assert md["a"] == "9"
        assert md.getlist("a") == ["9"]
        assert md.multi_items() == [("b", "2"), ("a", "9")]

    def test_add_appends_a_value(self):
        md = MultiDict([("a", "1")])
        md.add("a", "2")
        assert md["a"] == "2"
        assert md.getlist("a") == ["1", "2"]

    def test_getlist_sees_changes_after_it_was_first_used(self):
        md = MultiDict([("a", "1"), ("a", "2")])
        assert md.getlist("a") == ["1", "2"]
        md.add("a", "3")
        assert md.getlist("a") == ["1", "2", "3"]
        del md["a"]
        assert md.getlist("a") == []

    def test_delete_and_pop_drop_every_value(self):
        md = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
        assert md.pop("a") == "3"
        assert md.getlist("a") == []
        assert md.pop("a", "default") == "default"
        with pytest.raises(KeyError):
            md.pop("a")
        del md["b"]
        assert md.multi_items() == []
        with pytest.raises(KeyError):
            del md["b"]

    def test_popitem_setdefault_clear(self):
        md = MultiDict([("a", "1"), ("b", "2"), ("b", "3")])
        assert md.popitem() == ("b", "3")
        assert md.multi_items() == [("a", "1")]
        assert md.setdefault("a", "x") == "1"
        assert md.setdefault("c", "x") == "x"
        assert md.multi_items() == [("a", "1"), ("c", "x")]
        md.clear()
        assert md == {}
        assert md.multi_items() == []

    def test_update_replaces_the_given_keys(self):
        md = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
        md.update({"a": "x"}, c="y")
        assert md.getlist("a") == ["x"]
        assert md.multi_items() == [("b", "2"), ("a", "x"), ("c", "y")]
        md.update(MultiDict([("d", "1"), ("d", "2")]))
        assert md.getlist("d") == ["1", "2"]
        md |= {"b": "z"}
        assert md.getlist("b") == ["z"]

    def test_or_returns_a_new_multidict(self):
        md = MultiDict([("a", "1"), ("a", "2")])
        merged = md | {"b": "3"}
        assert isinstance(merged, MultiDict)
        assert merged.multi_items() == [("a", "1"), ("a", "2"), ("b", "3")]
        assert "b" not in md

    def test_copy_pickle_and_deepcopy_keep_every_pair(self):
        md = MultiDict([("a", "1"), ("a", "2")])
        for duplicate in (md.copy(), copy.copy(md), copy.deepcopy(md), pickle.loads(pickle.dumps(md))):
            assert type(duplicate) is MultiDict
            assert duplicate.getlist("a") == ["1", "2"]
            duplicate.add("a", "3")
            assert md.getlist("a") == ["1", "2"]

    def test_subscriptable_for_annotations(self):
        assert MultiDict[str] is not None


class TestParseQueryString:
    def test_repeated_keys(self):
        params = parse_query_string(b"tag=a&page=2&tag=b")
        assert params["tag"] == "b"
        assert params.getlist("tag") == ["a", "b"]
        assert params["page"] == "2"

    def test_blank_values_are_kept(self):
        params = parse_query_string(b"a=&b&c=1")
        assert params == {"a": "", "b": "", "c": "1"}

    def test_percent_escapes_and_plus(self):
        params = parse_query_string(b"q=hello+world&name=%E2%82%AC%20x&k%3Dey=v%26al")
        assert params == {"q": "hello world", "name": "\u20ac x", "k=ey": "v&al"}

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            (b"a=%zz", {"a": "%zz"}),
            (b"a=%", {"a": "%"}),
            (b"a=%%41", {"a": "%A"}),
            (b"a=100%", {"a": "100%"}),
            (b"a=%ff", {"a": "\ufffd"}),
            (b"a=%e2%82", {"a": "\ufffd"}),
            (b"a=\xff\xfe", {"a": "\ufffd\ufffd"}),
            (b"%=%", {"%": "%"}),
            (b"&&=&", {"": ""}),
        ],
    )
    def test_bad_input_never_raises(self, raw, expected):
        assert parse_query_string(raw) == expected

    def test_raw_utf8_bytes(self):
        assert parse_query_string("name=caf\u00e9".encode()) == {"name": "caf\u00e9"}

    def test_str_input(self):
        assert parse_query_string("a=1&a=2").getlist("a") == ["1", "2"]

    def test_semicolon_is_not_a_separator(self):
        assert parse_query_string(b"a=1;b=2") == {"a": "1;b=2"}

    @pytest.mark.parametrize("raw", [b"", ""])
    def test_empty(self, raw):
        params = parse_query_string(raw)
        assert isinstance(params, MultiDict)
        assert params == {}
        assert params.getlist("a") == []

    def test_empty_results_are_not_shared(self):
        first = parse_query_string(b"")
        first["leak"] = "1"
        assert parse_query_string(b"") == {}
