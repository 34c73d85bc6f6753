"""Properties of the pure rule functions over arbitrary cases (no store involved).

A plugin that raises is only reported by the host, so a crash on an odd but valid case
would silently drop a station's tasks or findings: these tests look for such cases.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from casebook.plugins.callbacks import rules as callback_rules
from casebook.plugins.diversion import rules as diversion_rules
from casebook.plugins.legal_review import rules as review_rules
from casebook.plugins.missing_persons import rules as mp_rules
from hypothesis import given, settings
from hypothesis import strategies as st

from casebook import Case, Entry

CST = timezone(timedelta(hours=8))
START = datetime(2025, 1, 1, tzinfo=CST)

moments = st.integers(min_value=0, max_value=400 * 24).map(lambda h: START + timedelta(hours=h))
iso = moments.map(lambda m: m.isoformat())
maybe = lambda strategy: st.one_of(st.none(), strategy)  # noqa: E731


def entry(kind: str, data: dict) -> Entry:
    return Entry(
        id="",
        case_id="c",
        kind=kind,
        text="",
        data=data,
        author="0417",
        created_at=START.isoformat(),
        updated_at=START.isoformat(),
    )


entries = st.lists(
    st.one_of(
        st.builds(lambda: entry("ledger", {})),
        st.builds(lambda: entry("supervision", {})),
        st.builds(lambda: entry("monthly_review", {})),
        st.sampled_from(["satisfied", "basically_satisfied", "dissatisfied"]).map(
            lambda level: entry("callback", {"reached": True, "satisfaction": level})
        ),
        st.booleans().map(lambda done: entry("diversion_feedback", {"completed": done})),
    ),
    max_size=6,
)


def case(case_type: str, fields: dict, status: str, items: list) -> Case:
    for index, item in enumerate(items):
        item.id = f"e{index}"  # entry ids are unique on a real case
    return Case(
        id="c",
        type=case_type,
        status=status,
        title=str(fields.get("name") or fields.get("title") or ""),
        fields={k: v for k, v in fields.items() if v is not None},
        officer_id="0417",
        unit="旺庄派出所",
        created_at=START.isoformat(),
        updated_at=START.isoformat(),
        entries=items,
    )


missing_fields = st.fixed_dictionaries(
    {
        "name": st.just("李某"),
        "reported_at": iso,
        "last_seen_at": iso,
        "last_seen_place": st.just("某地"),
        "cause": maybe(
            st.sampled_from(
                sorted(mp_rules.URGENT_CAUSES | {"lost", "left_home", "unknown", "debt"})
            )
        ),
        "risk": maybe(st.sampled_from(["urgent", "general"])),
        "age": maybe(st.integers(0, 130)),
        "area": maybe(st.sampled_from(["甲", "乙"])),
        "school": maybe(st.sampled_from(["一中", "二中"])),
        "found_at": maybe(iso),
        "signs_of_harm": maybe(st.booleans()),
    }
)
incident_fields = st.fixed_dictionaries(
    {
        "title": st.just("警情"),
        "reported_at": maybe(iso),
        "channel": maybe(
            st.sampled_from(["call_110", "walk_in", "self_service", "patrol", "transfer"])
        ),
        "category": maybe(st.sampled_from(["criminal", "administrative", "help", "non_police"])),
        "disposition": maybe(
            st.sampled_from(["closed_on_site", "transferred", "diverted", "accepted"])
        ),
        "diverted_to": maybe(st.just("12345")),
        "key_flags": maybe(st.lists(st.sampled_from(list(callback_rules.KEY_FLAGS)), unique=True)),
        "accepted_at": maybe(iso),
        "acceptance_decision": maybe(st.sampled_from(["accepted", "not_accepted"])),
        "filing_decision": maybe(st.sampled_from(["filed", "not_filed"])),
        "filing_decided_at": maybe(iso),
        "receipt_issued": maybe(st.booleans()),
    }
)
statuses = st.sampled_from(["received", "accepted", "not_accepted", "filed", "diverted", "closed"])


@settings(max_examples=150, deadline=None, database=None)
@given(missing_fields, statuses, entries, st.sampled_from(["wuxi", "pingxiang"]))
def test_missing_person_tasks_have_unique_stable_keys(fields, status, items, preset):
    subject = case("missing_person", fields, status, items)
    options = mp_rules.MissingPersonSettings(callback_schedule=mp_rules.resolve_schedule(preset))
    first = mp_rules.schedule(subject, options)
    keys = [task.key for task in first]
    assert len(keys) == len(set(keys))
    assert [t.key for t in mp_rules.schedule(subject, options)] == keys  # deterministic
    reported = datetime.fromisoformat(fields["reported_at"])
    assert all(datetime.fromisoformat(t.due_at) >= reported for t in first)
    if mp_rules.is_found(subject):
        assert first == []


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(missing_fields, max_size=8), moments)
def test_alerts_name_existing_cases_and_clusters_reach_the_threshold(all_fields, at):
    cases = [
        case("missing_person", {**f, "name": f"人{i}"}, "received", [])
        for i, f in enumerate(all_fields)
    ]
    for index, subject in enumerate(cases):
        subject.id = f"c{index}"
    options = mp_rules.MissingPersonSettings()
    ids = {subject.id for subject in cases}
    for alert in mp_rules.find_alerts(cases, at, options):
        assert set(alert.case_ids) <= ids and alert.case_ids
        if alert.kind == "cluster":
            assert len(alert.case_ids) >= options.cluster_count


@settings(max_examples=200, deadline=None, database=None)
@given(incident_fields, statuses, entries, moments)
def test_incident_rules_never_raise_and_keep_their_points(fields, status, items, at):
    subject = case("incident", fields, status, items)
    options = review_rules.ReviewSettings()
    findings = review_rules.review(subject, at, options, [])
    assert len({f.rule for f in findings}) == len(findings)
    for finding in findings:
        assert finding.points == options.points(finding.rule) and finding.message
    tasks = callback_rules.schedule(subject, callback_rules.CallbackSettings())
    tasks += diversion_rules.schedule(subject, diversion_rules.DiversionSettings())
    keys = [task.key for task in tasks]
    assert len(keys) == len(set(keys))
