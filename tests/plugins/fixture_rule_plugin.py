"""A legal officer's own review rule, installed as a plugin file (not a built-in).

The station's rule: a criminal report must name the reporter's ID number (身份证号), so the
reporter can be identified for the statement.
"""

from casebook import Finding, hookimpl

casebook_plugin = {"version": "0.1.0", "publisher": "旺庄派出所法制员", "api": [2]}


@hookimpl
def review_case(context, case, at):
    if case.type != "incident" or case.fields.get("category") != "criminal":
        return []
    if case.fields.get("reporter_id_number"):
        return []
    return [
        Finding(
            rule="fixture_rule_plugin.station_reporter_id",
            severity="warning",
            message="Criminal report without the reporter's ID number.",
            points=7,
        )
    ]
