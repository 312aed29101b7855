"""``xaas images prune``: remove deployed images nothing refers to any more.

A deployed image is referenced while the source/IR image it was deployed from still exists
(its ``org.xaas.from.image`` ID) and carries the same app; once that image was rebuilt or
removed, the deployment can never be reproduced by hash and only costs disk (vfs keeps a full
copy per layer). Untagged images that carry ``org.xaas.kind`` (an app image replaced by a
rebuild) go too. Images used by any container, running or stopped, are always kept; base
images are never touched (``xaas images bootstrap --force`` replaces them).
"""

from __future__ import annotations

from typing import Any

from xaas_parsl.containers import labels as L
from xaas_parsl.containers.engine import connect


def prune_plan(images: list[dict[str, Any]], in_use: set[str],
               existing: set[str] | None = None) -> list[dict[str, str]]:
    """What to remove from ``docker inspect``-like image dicts (pure: ``Id``, ``RepoTags``,
    ``Config.Labels``); images whose ID is in ``in_use`` are kept. ``existing``: IDs of all
    images in the engine (default: those of ``images``)."""
    ids = {img["Id"] for img in images} | (existing or set())
    out: list[dict[str, str]] = []
    changed = True
    while changed:  # removing an untagged source image orphans what was deployed from it
        changed = False
        for img in images:
            labels = L.labels_of(img)
            kind = labels.get(L.KIND)
            if (kind is None or kind in ("toolchain", "runtime") or img["Id"] in in_use
                    or img["Id"] not in ids):
                continue
            tags = [t for t in img.get("RepoTags") or [] if t != "<none>:<none>"]
            name = tags[0] if tags else img["Id"][:19]
            if not tags:
                reason = f"untagged {kind} image"
            elif kind == "deployed" and labels.get(L.FROM_IMAGE) not in ids:
                reason = "the image it was deployed from no longer exists"
            else:
                continue
            out.append({"image": name, "id": img["Id"], "reason": reason})
            ids.discard(img["Id"])
            changed = True
    return out


def prune(dry_run: bool = False, app: str | None = None) -> list[dict[str, str]]:
    """Remove (or with ``dry_run`` only list) unreferenced xaas images (of ``app`` only)."""
    client = connect()
    label = f"{L.APP}={app}" if app else L.KIND
    images = [img.attrs for img in client.images.list(all=False, filters={"label": label})]
    dangling = client.images.list(filters={"dangling": True, "label": label})
    seen = {i["Id"] for i in images}
    images += [img.attrs for img in dangling if img.attrs["Id"] not in seen]
    in_use = {str(c.attrs.get("Image")) for c in client.containers.list(all=True)}
    existing = {str(img.id) for img in client.images.list(all=True)}
    plan = prune_plan(images, in_use, existing)
    if not dry_run:
        for row in plan:
            img = client.images.get(row["id"])
            for tag in img.tags or [row["id"]]:
                client.images.remove(tag, noprune=False)
    return plan
