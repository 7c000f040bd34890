"""What kind of body an agency is, read from its name unless the registry says otherwise."""

from __future__ import annotations

import re

_GOVERNMENT = re.compile(r"(人民政府|人民政府办公室|人民政府办公厅|政府办公室)$")
_TOWNSHIP = re.compile(r"(镇|乡|街道|街道办事处|苏木|民族乡)(人民政府)?$")


def agency_level(name: str, declared: str | None = None) -> str:
    """``government`` (本级政府), ``township`` (乡镇/街道) or ``department``."""
    if declared:
        return declared
    n = re.sub(r"\s+", "", name)
    if _TOWNSHIP.search(n) and not re.search(r"(县|市|区|旗)人民政府$", n):
        return "township"
    if _GOVERNMENT.search(n):
        return "government"
    return "department"
