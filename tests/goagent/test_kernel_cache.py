"""Numba's cache is dropped when any kernel module changes (a stale kernel can crash)."""

from goagent import kernel_cache


def test_changed_sources_drop_the_cached_kernels(tmp_path):
    (tmp_path / "board.py").write_text("# kernels v1\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    stale = [cache / "board.f-1.py311.nbi", cache / "board.f-1.py311.1.nbc"]
    for path in stale:
        path.write_bytes(b"old machine code")
    (cache / "board.cpython-311.pyc").write_bytes(b"bytecode")  # not Numba's: kept
    kernel_cache.check(tmp_path)
    assert not any(p.exists() for p in stale) and (cache / "board.cpython-311.pyc").exists()
    stamp = (cache / kernel_cache.STAMP_NAME).read_text().strip()
    assert stamp == kernel_cache.sources_digest(tmp_path)

    kernel_cache.check.cache_clear()
    fresh = cache / "board.f-1.py311.nbi"
    fresh.write_bytes(b"compiled from v1")
    kernel_cache.check(tmp_path)  # same sources: the cache stays
    assert fresh.exists()

    kernel_cache.check.cache_clear()
    (tmp_path / "board.py").write_text("# kernels v2\n")
    kernel_cache.check(tmp_path)  # a kernel module changed: every cached kernel goes
    assert not fresh.exists()
    assert (cache / kernel_cache.STAMP_NAME).read_text().strip() != stamp


def test_every_module_with_cached_kernels_is_listed():
    names = {
        str(p.relative_to(kernel_cache.ROOT))
        for p in kernel_cache.ROOT.rglob("*.py")
        if "cache=True" in p.read_text() and p.name != "kernel_cache.py"
    }
    assert names <= set(kernel_cache.KERNEL_MODULES), sorted(names - set(kernel_cache.KERNEL_MODULES))
