"""The seams as a Mermaid graph: modules as nodes, seams as edges with call counts."""

from __future__ import annotations

from seamrec.review.contract import SeamContract, module_of

HIGHLIGHT = "stroke:#d73a49,stroke-width:3px,color:#d73a49"
OUTSIDE = "tests and other callers"


def mermaid(
    contracts: dict[str, SeamContract], highlight: set[str], boundaries: tuple[str, ...] = ()
) -> str:
    """A `flowchart LR` of caller module → callee module per seam; `highlight`ed seams red.
    Callers outside `boundaries` (tests, conftest) are drawn as one node. The count on an
    edge is the seam's calls over all tests (and all callers, when several call it)."""

    def node_of(caller: str) -> str:
        inside = any(caller == b or caller.startswith(f"{b}.") for b in boundaries)
        return caller if inside or not boundaries else OUTSIDE

    every_caller = {node_of(caller) for c in contracts.values() for caller in c.callers}
    modules = sorted({module_of(s) for s in contracts} | every_caller)
    node = {module: f"m{i}" for i, module in enumerate(modules)}
    lines = ["flowchart LR"]
    lines += [f'  {node[m]}["{_label(m)}"]' for m in modules]
    highlighted: list[int] = []
    edge = 0
    for seam in sorted(contracts):
        contract = contracts[seam]
        callers = sorted({node_of(c) for c in contract.callers})
        plural = "" if contract.calls == 1 else "s"
        shared = ", all callers" if len(callers) > 1 else ""  # per-caller counts are not kept
        label = _label(f"{seam.partition(':')[2]} ({contract.calls} call{plural}{shared})")
        for caller in callers:
            lines.append(f'  {node[caller]} -->|"{label}"| {node[module_of(seam)]}')
            if seam in highlight:
                highlighted.append(edge)
            edge += 1
    if highlighted:
        lines.append(f"  linkStyle {','.join(map(str, highlighted))} {HIGHLIGHT}")
    return "\n".join(lines) + "\n"


def _label(text: str) -> str:
    return text.replace('"', "#quot;")
