"""What a record run's writer re-uses from one cassette to the next must give what a fresh
start gives: a redactor made by `fresh()` has the rules and nothing collected, the names
finder's remembered verdicts are the ones it computes, a call's trees known by identity
are judged as their bytes are, shapes no redaction changes come back as the very
cassette, and a `Call` made by `new_call` is the `Call` its fields make."""

from __future__ import annotations

import dataclasses
import pickle

from seamrec.cassette.redact import PathRule, Redactor, _NameBytes
from seamrec.cassette.settled import compact, expand
from seamrec.cassette.store import Call, Cassette, Run, dump, new_call
from seamrec.model.codec import pack
from seamrec.model.shape import Shape

SEAM = "app.repo:find"
ARGS: Shape = ("args", ("user_id",), ((("int",),),))
ROW: Shape = ("dict", "dict", ("id", "name"), ((("int",),), (("str",),)))
TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"


def cassette(result: object, result_shape: Shape = ROW) -> Cassette:
    made = Cassette("tests/test_a.py::test_a")
    made.calls = [Call(SEAM, "app.api", 0, ARGS, "return", result_shape, {"user_id": 7}, result)]
    made.runs = {SEAM: [Run(ARGS, "return", result_shape, 2)]}
    made.nesting = {}
    return made


def test_a_fresh_redactor_has_the_rules_and_none_of_the_secrets_collected_before() -> None:
    rules = Redactor(("pin",), [PathRule.parse("app.repo:find:args.user_id")])
    used = rules.fresh()
    used.collect(SEAM, {"password": "Tr0ub4dor-x9Zq7"}, None, "return")

    fresh = used.fresh()

    assert fresh.sensitive("pin_code")
    assert fresh.sensitive("password")
    assert [rule.part for rule in fresh._matching(SEAM)] == [("args", "user_id")]
    assert "my pass is Tr0ub4dor-x9Zq7" == fresh.scrub("my pass is Tr0ub4dor-x9Zq7")
    assert "my pass is Tr0ub4dor-x9Zq7" != used.scrub("my pass is Tr0ub4dor-x9Zq7")
    assert [] == fresh.redactions


def test_the_names_finder_remembers_the_verdicts_it_computes() -> None:
    finder = _NameBytes(("pin",))
    samples = [pack([{"user_id": 7}, None]), pack([{"api_key": "x"}, 1]), pack(["PIN-code"])]

    first = [finder.clears(data) for data in samples]
    again = [finder.clears(bytes(bytearray(data))) for data in samples]

    assert [True, False, False] == first == again == [finder._clears(d) for d in samples]


def test_trees_known_by_identity_are_only_those_cleared_before() -> None:
    finder = _NameBytes(())
    args, result = {"user_id": 7}, [1, 2]
    assert not finder.cleared_trees(args, result)

    finder.remember_trees(args, result, len(pack([args, result])))

    assert finder.cleared_trees(args, result)
    assert not finder.cleared_trees(dict(args), result)  # equal, but another object
    assert not finder.cleared_trees(result, args)


def test_a_call_whose_trees_were_cleared_still_gives_its_secret_when_named() -> None:
    redactor = Redactor()
    quiet = {"user_id": 7}
    assert redactor._unnamed(SEAM, quiet, None, None)
    assert redactor._unnamed(SEAM, quiet, None, None)  # again, known by identity
    assert not redactor._unnamed(SEAM, {"password": TOKEN}, None, None)


def test_shapes_no_redaction_changes_come_back_as_the_very_cassette() -> None:
    made = cassette({"id": 7, "name": "Ada"})
    before = dump(made)

    shaped = Redactor().shapes_redacted(made)

    assert shaped is made
    assert before == dump(made)


def test_a_shape_redaction_changes_comes_back_in_a_copy_of_every_list() -> None:
    keyed: Shape = ("dict", "dict", (TOKEN,), ((("int",),),))
    made = cassette({TOKEN: 1}, keyed)
    made.calls.append(Call("app.auth:login", "app.api", 0, ARGS, "return", ROW, {}, None))
    made.runs["app.auth:login"] = [Run(ARGS, "return", ROW, 1)]
    before = pickle.loads(pickle.dumps(made))

    shaped = Redactor().shapes_redacted(made)

    assert before == made
    assert shaped is not made
    assert shaped.calls is not made.calls
    assert all(shaped.runs[seam] is not made.runs[seam] for seam in made.runs)
    assert TOKEN not in repr(shaped.runs[SEAM][0].result_shape)
    assert made.runs["app.auth:login"] == shaped.runs["app.auth:login"]
    assert made.calls[1] is shaped.calls[1]


def test_a_call_made_by_new_call_is_the_call_its_fields_make() -> None:
    fields = (SEAM, "app.api", 3, ARGS, "raise", ROW, {"user_id": 7}, [1])

    made, plain = new_call(*fields), Call(*fields)

    assert plain == made
    assert repr(plain) == repr(made)
    assert dataclasses.astuple(plain) == dataclasses.astuple(made)
    assert pickle.loads(pickle.dumps(made)) == plain
    assert dataclasses.replace(made, index=4) == dataclasses.replace(plain, index=4)
    slim = expand(compact(Cassette("t", calls=[made])))
    assert (None, None, ROW) == (
        slim.calls[0].args,
        slim.calls[0].result,
        slim.calls[0].result_shape,
    )
