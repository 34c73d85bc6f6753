"""Reports and printable documents, as the plugins declare them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from casebook import clock, store
from casebook.errors import (
    IntegrityError,
    InvalidInputError,
    NotFoundError,
    PluginError,
    StorageError,
)
from casebook.i18n import _
from casebook.models import DocumentSpec, IssuedDocument, Report, ReportSpec, Vocabulary
from casebook.plugin_host import PLUGIN_FAULTS
from casebook.queries import Queries
from casebook.report_view import ReportView, report_view
from casebook.vocabulary import Glossary, core_vocabulary

#: the station setting that names the unit in report headers (declared by the station plugin).
UNIT_NAME_SETTING = "station.name"


class Reports:
    """Building reports and rendering documents; each is a plugin's code, run on its behalf."""

    def __init__(self, queries: Queries, notebook: Any) -> None:
        """:param notebook: the notebook, whose ``plugin_context`` the hooks, report builders
        and document renderers are handed."""
        self.queries = queries
        self._notebook = notebook

    @property
    def host(self) -> Any:
        return self._notebook.host

    def reports(self) -> list[ReportSpec]:
        specs = []
        for plugin, spec in self.host.collect(
            "register_reports", ReportSpec, context=self._notebook.plugin_context
        ):
            spec.plugin = spec.plugin or plugin
            specs.append(spec)
        return specs

    def build_report(self, name: str, start: Any = None, end: Any = None) -> Report:
        """Build a report by name. :raises NotFoundError: unknown report; :raises PluginError: it failed."""
        try:
            start_at = clock.parse_datetime(start)
            end_at = clock.parse_datetime(end, end_of_day=True)
        except ValueError as error:
            raise InvalidInputError(_("Not a date: {error}").format(error=error)) from error
        for spec in self.reports():
            if spec.name == name:
                try:
                    report = self.host.run(
                        spec.plugin,
                        f"report {name}",
                        spec.build,
                        self._notebook.plugin_context,
                        start_at,
                        end_at,
                    )
                except PLUGIN_FAULTS as error:
                    self.host.report_error(spec.plugin, f"report {name}", error)
                    raise PluginError(
                        _("Report {name} failed: {error}").format(name=name, error=error)
                    ) from error
                if not isinstance(report, Report):
                    raise PluginError(
                        _("Report {name} failed: {error}").format(name=name, error="not a Report")
                    )
                # The period asked for, for the header of every rendering.
                report.start = start_at.date().isoformat() if start_at else ""
                report.end = end_at.date().isoformat() if end_at else ""
                return report
        raise NotFoundError(
            _("No report {name}. Available: {names}").format(
                name=name, names=", ".join(s.name for s in self.reports()) or "-"
            )
        )

    def report_view(self, report: Report) -> ReportView:
        """A built report in the officer's language, as the GUI, the PDF and the CLI show
        it: keys and codes labelled from the vocabulary, rates with their counts, officers
        by name, and a header with the unit, the period and the time it is shown."""
        return report_view(
            report,
            self.vocabulary(),
            unit=self.unit_name(),
            printed_at=clock.now(),
            officer_name=self._notebook.officer_name,
        )

    def report_pdf(
        self, report: Report, path: str | os.PathLike, *, overwrite: bool = True
    ) -> Path:
        """Write a built report as a PDF (Chinese included): its :meth:`report_view`, with
        its charts drawn.

        :param overwrite: replace an existing file (the CLI passes False unless ``--force``).
        :raises InvalidInputError: the folder does not exist (none is created), or the file
            exists and ``overwrite`` is False.
        """
        from casebook import pdf

        target = store.check_output_file(path, overwrite=overwrite)
        return pdf.report_pdf(self.report_view(report), target)

    def unit_name(self) -> str:
        """The unit reports are headed with: the station's name setting
        (:data:`UNIT_NAME_SETTING`, when a plugin declares it and it is filled in), else
        the unit of this laptop's officer."""
        if any(spec.key == UNIT_NAME_SETTING for spec in self._notebook.setting_specs()):
            name = str(self._notebook.setting(UNIT_NAME_SETTING) or "").strip()
            if name:
                return name
        return str(self._notebook.officer.get("unit") or "")

    def vocabulary(self) -> Glossary:
        """The labels of every code the plugins declare (``register_vocabulary``) and of the
        case types' enums, merged; the GUI and the PDFs read it."""
        declared = []
        for plugin, vocabulary in self.host.collect("register_vocabulary", Vocabulary):
            vocabulary.plugin = vocabulary.plugin or plugin
            declared.append(vocabulary)
        declared.append(core_vocabulary())
        return Glossary(declared, self._notebook.case_types())

    def documents(self, case_id: str | None = None) -> list[DocumentSpec]:
        """Printable documents, all or those for one case's type."""
        case_type = self.queries.get_case(case_id).type if case_id else None
        specs = []
        for plugin, spec in self.host.collect(
            "register_documents", DocumentSpec, context=self._notebook.plugin_context
        ):
            spec.plugin = spec.plugin or plugin
            if case_type is None or not spec.case_types or case_type in spec.case_types:
                specs.append(spec)
        return specs

    def render_document(
        self, name: str, case_id: str, path: str | os.PathLike, *, overwrite: bool = True
    ) -> Path:
        """Render a printable document of a case to a PDF file, and record what printing it
        means for the case when its plugin says (``DocumentSpec.issued``: a receipt).

        :param overwrite: replace an existing file (the CLI passes False unless ``--force``).
        :raises InvalidInputError: the folder does not exist (none is created), or the file
            exists and ``overwrite`` is False.
        """
        case = self.queries.get_case(case_id)
        store.check_output_file(path, overwrite=overwrite)
        for spec in self.documents(case_id):
            if spec.name == name:
                try:
                    self.host.run(
                        spec.plugin,
                        f"document {name}",
                        spec.render,
                        self._notebook.plugin_context,
                        case,
                        Path(path),
                    )
                    issued = (
                        self.host.run(
                            spec.plugin,
                            f"document {name}",
                            spec.issued,
                            self._notebook.plugin_context,
                            case,
                        )
                        if spec.issued is not None
                        else None
                    )
                except (InvalidInputError, IntegrityError, StorageError):
                    raise
                except OSError as error:  # the disk's fault, not the plugin's
                    raise store.storage_error(error, path) from error
                except PLUGIN_FAULTS as error:
                    self.host.report_error(spec.plugin, f"document {name}", error)
                    raise PluginError(
                        _("Document {name} failed: {error}").format(name=name, error=error)
                    ) from error
                if issued is not None:
                    if not isinstance(issued, IssuedDocument):
                        raise PluginError(
                            _("Document {name} failed: {error}").format(
                                name=name, error="issued() did not return an IssuedDocument"
                            )
                        )
                    self._notebook._cases.record_issued(case_id, spec.plugin, issued)
                return Path(path)
        raise NotFoundError(_("No document {name} for this case.").format(name=name))
