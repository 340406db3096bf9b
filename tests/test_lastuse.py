"""The store of what a page's table computed at its last use (thidua/web/lastuse.py, issue 12)."""

from thidua.web.lastuse import LastUse


def test_a_table_keeps_its_last_use_only():
    store = LastUse(max_entries=10)
    assert store.before("a") == {}
    store.keep("a", {1: "x", 2: "y"})
    assert store.before("a") == {1: "x", 2: "y"}
    store.keep("a", {3: "z"})  # the rows of before that are not shown again are dropped
    assert store.before("a") == {3: "z"} and len(store) == 1


def test_past_its_size_the_tables_least_recently_used_go_first_never_the_one_just_kept():
    store = LastUse(max_entries=5)
    store.keep("a", dict.fromkeys(range(2)))
    store.keep("b", dict.fromkeys(range(2)))
    store.before("a")  # used: "b" is now the least recently used
    store.keep("c", dict.fromkeys(range(2)))
    assert store.before("b") == {} and len(store.before("a")) == 2 and len(store.before("c")) == 2
    store.keep("d", dict.fromkeys(range(9)))  # bigger than the whole store: kept alone
    assert [len(store.before(t)) for t in "acd"] == [0, 0, 9] and len(store) == 9
    store.clear()
    assert store.before("d") == {} and len(store) == 0
