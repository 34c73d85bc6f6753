"""A CJK-capable family for Tk's named fonts, so Chinese never falls back to boxes."""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont

#: Tried in order; the first one installed wins. Noto first because it covers all of GB 18030
#: that officers type, and it ships on Linux; the others are the Windows and macOS defaults.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "WenQuanYi Micro Hei",
    "SimHei",
)

NAMED_FONTS = (
    "TkDefaultFont",
    "TkTextFont",
    "TkMenuFont",
    "TkHeadingFont",
    "TkCaptionFont",
    "TkSmallCaptionFont",
    "TkIconFont",
    "TkTooltipFont",
)


def find_cjk_family(root: tk.Misc) -> str | None:
    """The first installed family of :data:`CJK_FAMILIES`, or None."""
    installed = set(tkfont.families(root))
    return next((family for family in CJK_FAMILIES if family in installed), None)


def apply_cjk_fonts(root: tk.Misc, size: int = 10) -> str | None:
    """Point Tk's named fonts at a CJK family; returns the family used (None: left alone)."""
    family = find_cjk_family(root)
    if not family:
        return None
    for name in NAMED_FONTS:
        try:
            font = tkfont.nametofont(name, root=root)
        except tk.TclError:
            continue
        font.configure(family=family, size=size)
    try:
        tkfont.nametofont("TkHeadingFont", root=root).configure(weight="bold")
    except tk.TclError:
        pass
    return family
