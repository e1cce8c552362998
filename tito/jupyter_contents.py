"""The contents manager of `tito jupyter`: jupytext's, so that a chapter opened and saved
unchanged stays the same file, byte for byte, and opens without the unsaved-changes dot.

Two things made a freshly opened dev file look modified, and its save rewrite the header:

- Once its kernel runs, JupyterLab writes the kernel's `kernelspec` (display name
  "Python 3 (ipykernel)", where the chapter says "Python 3") and its `language_info`
  (which a .py file never carries) into the notebook's metadata. Any change marks the
  document modified; a value equal to the one already there is not a change. So each
  chapter is served with the metadata the kernel will set, and a save takes exactly
  those values back out again (a kernel the learner chose on purpose is kept).
- jupytext stamps its own version and the format's version into the header on every
  save; the chapters do not carry them, so a save keeps the header as the file has it.

Started by `tito jupyter` as `--ServerApp.contents_manager_class=` this class.
"""
from __future__ import annotations

import contextlib
import os

import jupytext
from jupytext import header as jupytext_header
from jupytext.async_contentsmanager import AsyncTextFileContentsManager

NATIVE_KERNEL = "python3"  # the kernel ipykernel itself provides: this very Python


def kernel_metadata(name: str, spec_manager=None) -> dict:
    """{"kernelspec": ..., "language_info": ...} as JupyterLab writes them once kernel `name` runs.

    kernelspec: name, display name and language of the installed spec (JupyterLab's
    `_updateSpec`); language_info: what ipykernel answers in its kernel_info reply, known
    here only for the native Python kernel. Unknown kernel: nothing.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = (spec_manager or KernelSpecManager()).get_kernel_spec(name)
    except (NoSuchKernel, OSError, ValueError):
        return {}
    found = {"kernelspec": {"name": name, "display_name": spec.display_name, "language": spec.language}}
    if name == NATIVE_KERNEL and spec.language == "python":
        try:
            from ipykernel.ipkernel import IPythonKernel
        except ImportError:
            return found
        found["language_info"] = dict(IPythonKernel.language_info)
    return found


@contextlib.contextmanager
def _header_as_it_is():
    """jupytext writes the header's text_representation as read, with no version stamp."""
    saved = jupytext_header.INSERT_AND_CHECK_VERSION_NUMBER
    jupytext_header.INSERT_AND_CHECK_VERSION_NUMBER = False
    try:
        yield
    finally:
        jupytext_header.INSERT_AND_CHECK_VERSION_NUMBER = saved


class ChapterContentsManager(AsyncTextFileContentsManager):
    """jupytext's contents manager; text notebooks round-trip unchanged (see the module doc)."""

    def _is_text_notebook(self, model: dict | None, path: str) -> bool:
        return (bool(model) and model.get("type") == "notebook" and isinstance(model.get("content"), dict)
                and not path.endswith(".ipynb"))

    def _kernel_metadata(self, metadata: dict) -> dict:
        name = (metadata.get("kernelspec") or {}).get("name") or NATIVE_KERNEL
        return kernel_metadata(name, getattr(self.parent, "kernel_spec_manager", None))

    async def get(self, path, content=True, type=None, format=None, **kwargs):
        model = await super().get(path, content=content, type=type, format=format, **kwargs)
        if content and self._is_text_notebook(model, path):
            metadata = model["content"]["metadata"]
            for key, value in self._kernel_metadata(metadata).items():
                metadata[key] = value  # what the kernel will set: setting it again changes nothing
        return model

    async def save(self, model, path=""):
        path = path.strip("/")
        if not self._is_text_notebook(model, path):
            return await super().save(model, path)
        metadata = model["content"].setdefault("metadata", {})
        os_path = self._get_os_path(path)
        on_disk = jupytext.read(os_path).metadata if os.path.isfile(os_path) else {}
        for key, value in self._kernel_metadata(metadata).items():
            if metadata.get(key) == value:  # put there by get() or by the kernel: not the learner's
                if key in on_disk:
                    metadata[key] = on_disk[key]
                else:
                    metadata.pop(key, None)
        with _header_as_it_is():
            return await super().save(model, path)
