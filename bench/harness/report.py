"""Turn the raw results of a run into `RESULTS.md`."""

from __future__ import annotations

import statistics
from typing import Any

from harness.registry import APPS_BY_KEY, ENDPOINTS, PROJECT, PROJECT_PLUGINS, RAW, UPSTREAM, routing_endpoints

DASH = "-"


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def spread(samples: list[float]) -> float:
    """Relative noise of `samples`: half the interquartile range (half the range below 4 samples) over the median."""
    if len(samples) < 2:
        return 0.0
    if len(samples) < 4:
        low, high = min(samples), max(samples)
    else:
        low, _, high = statistics.quantiles(samples, n=4)
    return (high - low) / 2 / median(samples)


def _noise(sample_lists: list[list[float]], sign: str = "") -> str:
    """The largest `spread` of several sample lists, as a percentage (`-` when there are too few samples)."""
    if not sample_lists or any(len(samples) < 2 for samples in sample_lists):
        return DASH
    return f"{sign}{max(spread(samples) for samples in sample_lists) * 100:.1f}%"


def _table(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---:" if side == "r" else ":---" for side in align]
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(rule) + " |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _count(n: int, noun: str, plural: str = "") -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def _ratio(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}"


def _label(key: str, results: dict[str, Any]) -> str:
    app = results["apps"].get(key)
    return app["label"] if app else APPS_BY_KEY[key].label if key in APPS_BY_KEY else key


def _ok_keys(results: dict[str, Any], section: str) -> list[str]:
    return [key for key in results["apps"] if key in results.get(section, {})]


def _endpoint_medians(data: dict[str, Any], key: str, field: str | None = None) -> dict[str, float]:
    app = data.get(key, {})
    out = {}
    for endpoint, samples in app.items():
        if isinstance(samples, list) and samples:
            values = [sample[field] for sample in samples] if field else samples
            out[endpoint] = median(values)
    return out


def _header(results: dict[str, Any]) -> list[str]:
    meta = results["meta"]
    s = meta["settings"]
    pinning = (
        f"servers and in-process workers on CPU {s['server_cpu']}, wrk and the harness on CPU {s['client_cpu']}"
        if s["server_cpu"] is not None
        else "no CPU pinning"
    )
    processes = s.get("inproc_processes", 1)
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python bench/run.py` ({meta['settings']['mode']} mode) — see `bench/README.md` for the method.",
        "",
        f"- Date: {meta['date']}" + _commit(meta),
        f"- Machine: {meta['cpu']}, {meta['cores']} cores, {meta['system']}, Python {meta['python']}",
        f"- Pinning: {pinning}",
    ]
    phases = meta.get("phases") or ["inproc", "startup", "wire", "instructions"]
    if "inproc" in phases:
        lines.append(
            f"- In-process: {s['repeats']} interleaved repeats of ~{s['target_s'] * 1000:.0f} ms per app and "
            f"endpoint, spread over {_count(processes, 'worker process', 'worker processes')} per app, median shown"
        )
    if "wire" in phases:
        lines.append(
            f"- Over the wire: uvicorn (1 worker, httptools, uvloop, no access log) + wrk `-t{s['threads']} "
            f"-c{s['connections']}`, {_count(s['wire_batches'], 'interleaved run')} of {s['wire_duration_s']:g} s "
            f"per app and endpoint (after a {s['wire_warmup_s']:g} s warm-up), each next to a run of the raw app, "
            "median shown"
        )
    if "instructions" in phases and "instr_large" in s:
        lines.append(
            f"- Instructions: uvicorn under callgrind, ({s['instr_large']} - {s['instr_small']}) requests counted per "
            "app and endpoint"
        )
    if "startup" in phases:
        lines.append(f"- Startup and memory: {_count(s['startup_runs'], 'fresh interpreter')} per app, median shown")
    lines += [
        *_load_line(results),
        f"- Total run time: {meta.get('duration_s', '?')} s",
        "",
        "**vs raw** and **vs upstream** are relative speeds, one per endpoint in the order json / user / item: "
        "reference time ÷ app time (in-process) or app req/s ÷ reference req/s (over the wire), computed within "
        "each batch (the two measurements were taken moments apart) and the median over the batches shown. "
        "Higher is better; 1.00 = as fast as the reference, 0.50 = half as fast. "
        "**±** is the noise of the repeats (half the interquartile range, relative to the median).",
        "",
    ]
    return lines


def _load_line(results: dict[str, Any]) -> list[str]:
    ratios = results.get("inproc_wall_over_cpu")
    if not ratios:
        return []
    share = 1 - 1 / max(1.0, median(ratios))
    return [
        f"- Machine load: during a median in-process repeat the worker's core was used by something else "
        f"{share * 100:.1f}% of the time (wall ÷ CPU time of the worker = {median(ratios):.3f}; "
        f"worst repeat {max(ratios):.2f})"
    ]


def _commit(meta: dict[str, Any]) -> str:
    if not meta.get("commit"):
        return ""
    dirty = " with uncommitted changes in `packages/`" if meta.get("uncommitted_changes") else ""
    return f", commit `{meta['commit']}`{dirty}"


def _apps_section(results: dict[str, Any]) -> list[str]:
    rows = []
    for key, app in results["apps"].items():
        status = "ok" if app["status"] == "ok" else f"skipped: {app.get('error') or 'not run'}"
        versions = ", ".join(f"{name} {version}" for name, version in app.get("versions", {}).items())
        if app.get("plugins") is not None:
            versions += f"; registered plugins: {', '.join(app['plugins']) or 'none'}"
        rows.append([app["label"], f"`{key}`", status.replace("|", "/"), versions or DASH])
    return ["## Apps", "", *_table(["App", "Key", "Status", "Packages"], rows, "llll"), ""]


def _endpoint_header() -> str:
    return " / ".join(endpoint.key for endpoint in ENDPOINTS)


def _inproc_section(results: dict[str, Any]) -> list[str]:
    if not results.get("inproc"):
        return []
    return [
        "## In-process: µs per request (lower is better)",
        "",
        "The ASGI app called directly with a fake `receive`/`send` (no server, no sockets): the framework's own cost.",
        f"Relative speeds in the order {_endpoint_header()}.",
        "",
        *_micros_table(results, "inproc"),
        "",
    ]


def _micros_table(results: dict[str, Any], section: str, field: str | None = None) -> list[str]:
    """A table of µs per request (lower is better) by app and endpoint, from ``results[section]``: the samples
    themselves, or their ``field`` when they are dicts."""
    data = results[section]
    header = ["App", *(f"`{endpoint.label}` µs" for endpoint in ENDPOINTS), "±", "vs raw", "vs upstream"]
    rows = []
    for key in _ok_keys(results, section):
        medians = _endpoint_medians(data, key, field)
        noise = _noise([[sample[field] for sample in samples] if field else samples for samples in data[key].values()])
        rows.append(
            [
                _label(key, results),
                *(f"{medians[e.key]:.1f}" if e.key in medians else DASH for e in ENDPOINTS),
                noise,
                _ratios(data, RAW, key, field, time_based=True),
                _ratios(data, UPSTREAM, key, field, time_based=True),
            ]
        )
    return _table(header, rows)


def _samples(data: dict[str, Any], key: str, endpoint: str, field: str | None) -> list[float]:
    samples = data.get(key, {}).get(endpoint) or []
    return [sample[field] for sample in samples] if field else list(samples)


def paired_ratio(reference: list[float], samples: list[float], time_based: bool) -> float | None:
    """How fast an app is relative to a reference, from samples taken batch by batch.

    The ratio is computed within each batch (the two runs were taken moments apart) and the median of those
    ratios is returned: a drift of the machine between batches cancels out instead of landing on one app. If the
    batches do not line up (a run is missing), the ratio of the medians is returned instead.
    """
    if not reference or not samples:
        return None
    if len(reference) != len(samples):
        ref, value = median(reference), median(samples)
        return ref / value if time_based else value / ref
    return median([(r / v if time_based else v / r) for r, v in zip(reference, samples, strict=True)])


def _ratios(data: dict[str, Any], reference: str, key: str, field: str | None, time_based: bool) -> str:
    values = []
    for e in ENDPOINTS:
        samples = data.get(key, {}).get(e.key) or []
        if reference == RAW and field and samples and all(f"raw_{field}" in sample for sample in samples):
            # Over the wire every run of an app has its own run of the raw app next to it.
            raw_runs = [sample[f"raw_{field}"] for sample in samples]
            values.append(paired_ratio(raw_runs, [sample[field] for sample in samples], time_based))
        else:
            values.append(
                paired_ratio(_samples(data, reference, e.key, field), _samples(data, key, e.key, field), time_based)
            )
    return DASH if all(value is None for value in values) else " / ".join(_ratio(value) for value in values)


def _wire_section(results: dict[str, Any]) -> list[str]:
    if results.get("wire_error"):
        return ["## Over the wire", "", f"Skipped: {results['wire_error']}.", ""]
    data = results.get("wire", {})
    if not data:
        return []
    header = ["App"]
    for endpoint in ENDPOINTS:
        header += [f"`{endpoint.label}` req/s", "p99 ms"]
    header += ["±", "vs raw", "vs upstream"]
    rows = []
    errors = []
    for key in _ok_keys(results, "wire"):
        rates = _endpoint_medians(data, key, "requests_per_s")
        p99s = _endpoint_medians(data, key, "p99_ms")
        noise = _noise([[sample["requests_per_s"] for sample in samples] for samples in data[key].values()])
        cells = []
        for endpoint in ENDPOINTS:
            cells += [
                f"{rates[endpoint.key]:,.0f}" if endpoint.key in rates else DASH,
                f"{p99s[endpoint.key]:.2f}" if endpoint.key in p99s else DASH,
            ]
        socket_errors = sum(sample["socket_errors"] for samples in data[key].values() for sample in samples)
        if socket_errors:
            errors.append(f"{_label(key, results)}: {socket_errors} socket errors reported by wrk")
        rows.append(
            [
                _label(key, results),
                *cells,
                noise,
                _ratios(data, RAW, key, "requests_per_s", time_based=False),
                _ratios(data, UPSTREAM, key, "requests_per_s", time_based=False),
            ]
        )
    lines = [
        "## Over the wire: requests per second (higher is better) and p99 latency",
        "",
        "uvicorn and wrk on 127.0.0.1, each pinned to its own core: what a client sees, server included.",
        f"Relative speeds in the order {_endpoint_header()}.",
        "",
        *_table(header, rows),
        "",
    ]
    if errors:
        lines += ["Socket errors: " + "; ".join(errors) + ".", ""]
    return lines + _server_cpu_table(results)


def _instructions_section(results: dict[str, Any]) -> list[str]:
    if results.get("instructions_error"):
        return ["## Server instructions per request", "", f"Skipped: {results['instructions_error']}.", ""]
    data = results.get("instructions", {})
    if not data:
        return []
    header = ["App", *(f"`{endpoint.label}`" for endpoint in ENDPOINTS), "vs raw", "vs upstream"]
    rows = []
    for key in _ok_keys(results, "instructions"):
        counts = data[key]
        cells = [f"{counts[e.key] / 1000:.1f}k" if e.key in counts else DASH for e in ENDPOINTS]
        relative = []
        for reference in (RAW, UPSTREAM):
            values = [
                data[reference][e.key] / counts[e.key] if e.key in data.get(reference, {}) and e.key in counts else None
                for e in ENDPOINTS
            ]
            relative.append(DASH if all(v is None for v in values) else " / ".join(_ratio(v) for v in values))
        rows.append([_label(key, results), *cells, *relative])
    return [
        "## Server instructions per request (callgrind; lower is better)",
        "",
        "The same uvicorn server as over the wire, run under valgrind's callgrind and sent the requests one at a time: "
        "instructions the whole server process executed per request (HTTP parsing, event loop, app, response). Unlike "
        "req/s this count does not move with the machine's load, so its ratios are the steady estimate of the "
        "over-the-wire ratios (it does not count cache misses). vs raw / vs upstream: reference count ÷ app count.",
        "",
        *_table(header, rows),
        "",
    ]


def _server_cpu_table(results: dict[str, Any]) -> list[str]:
    data = results["wire"]
    if not all("server_cpu_us" in sample for samples in data.values() for runs in samples.values() for sample in runs):
        return []
    return [
        "### Server CPU time per request under wrk load (µs, lower is better)",
        "",
        "CPU time (user + system) the uvicorn process used during the wrk runs, divided by the requests answered: "
        "server, sockets and framework together. Unlike req/s it does not drop when other processes compete for the "
        "machine, so it is the steadier over-the-wire comparison.",
        "",
        *_micros_table(results, "wire", "server_cpu_us"),
        "",
    ]


def _startup_section(results: dict[str, Any]) -> list[str]:
    data = results.get("startup", {})
    if not data:
        return []
    rows = []
    up = data.get(UPSTREAM)
    for key in _ok_keys(results, "startup"):
        times, rss = data[key]["import_build_ms"], data[key]["rss_mib"]
        rows.append(
            [
                _label(key, results),
                f"{median(times):.0f}",
                _ratio(median(up["import_build_ms"]) / median(times)) if up else DASH,
                f"{median(rss):.1f}",
                _ratio(median(up["rss_mib"]) / median(rss)) if up and median(rss) > 0 else DASH,
            ]
        )
    return [
        "## Startup time and idle memory (lower is better)",
        "",
        "Import + build of the app in a fresh interpreter; memory is the RSS of that interpreter after building the "
        "app minus the RSS of an empty interpreter of the same virtualenv. vs upstream: upstream ÷ app.",
        "",
        *_table(["App", "import + build ms", "vs upstream", "idle memory MiB", "vs upstream"], rows),
        "",
    ]


def _routing_section(results: dict[str, Any]) -> list[str]:
    data = results.get("routing", {})
    if not data:
        return []
    routes = results["meta"]["settings"]["routes"]
    static, variable = routing_endpoints(routes)
    small = results.get("inproc", {})
    rows = []
    for key in results["apps"]:
        if key not in data:
            continue
        if "error" in data[key]:
            rows.append([_label(key, results), f"skipped: {data[key]['error']}".replace("|", "/"), *[""] * 5])
            continue
        row = [_label(key, results)]
        for endpoint, base_key in ((static, "json"), (variable, "user")):
            many = median(data[key][endpoint.key]) if endpoint.key in data[key] else None
            few = median(small[key][base_key]) if key in small and base_key in small[key] else None
            row += [
                f"{few:.1f}" if few is not None else DASH,
                f"{many:.1f}" if many is not None else DASH,
                f"{many - few:+.1f}" if many is not None and few is not None else DASH,
            ]
        rows.append(row)
    header = ["Framework", "static, 3 routes", f"static, {routes} routes", "Δ", "variable, 3 routes"]
    header += [f"variable, {routes} routes", "Δ"]
    return [
        f"## Routing cost with {routes} routes: µs per request (in-process)",
        "",
        f"The app has {routes // 2} resources, each with a static list route `/resN/` and a variable detail route "
        f"`/resN/<id>/`, registered interleaved; the request hits the last ones (`{static.path}`, "
        f"`{variable.path}`), the worst case for a router that scans its routes. The 3-route columns are `GET /json` "
        "and `GET /users/12345/` of the in-process table (same handlers); Δ is the routing cost of the extra routes.",
        "",
        *_table(header, rows),
        "",
    ]


def _plugins_section(results: dict[str, Any]) -> list[str]:
    core, plugins = PROJECT, PROJECT_PLUGINS
    lines = [
        "## Registered plugins on a route that uses none of them",
        "",
        "This project alone vs. this project with panther-db, -ws, -auth, -cache and -tasks installed (and therefore "
        "registered); the routes use none of them. Δ is plugins vs core-only (over the wire: of their ratios to the "
        "adjacent raw runs); compare it with the noise (±).",
        "",
    ]
    inproc, wire_data = results.get("inproc", {}), results.get("wire", {})
    if core not in inproc and core not in wire_data and core not in results.get("instructions", {}):
        status = results["apps"].get(core, {})
        reason = status.get("error") or "not run"
        return [*lines, f"Not measured: this project's app was skipped ({reason}).", ""]
    rows = []
    metrics = (
        (inproc, None, "in-process µs", "{:.1f}"),
        (wire_data, "requests_per_s", "wire req/s", "{:,.0f}"),
        (wire_data, "server_cpu_us", "server CPU µs/request", "{:.1f}"),
    )
    for endpoint in ENDPOINTS:
        for data, field, metric, fmt in metrics:
            a = data.get(core, {}).get(endpoint.key)
            b = data.get(plugins, {}).get(endpoint.key)
            if not a or not b or (field and not all(field in x for x in a + b)):
                continue
            va = [x[field] for x in a] if field else a
            vb = [x[field] for x in b] if field else b
            ma, mb = median(va), median(vb)
            change = mb / ma - 1
            if field and all(f"raw_{field}" in x for x in a + b):
                # Each variant against its adjacent raw runs: the machine's drift between the two cancels out.
                ra = median([x[field] / x[f"raw_{field}"] for x in a])
                rb = median([x[field] / x[f"raw_{field}"] for x in b])
                change = rb / ra - 1
            noise = _noise([va, vb], sign="±")
            rows.append(
                [
                    f"`{endpoint.label}`",
                    metric,
                    fmt.format(ma),
                    fmt.format(mb),
                    f"{change * 100:+.1f}%",
                    noise,
                ]
            )
        counts = results.get("instructions", {})
        a_count = counts.get(core, {}).get(endpoint.key)
        b_count = counts.get(plugins, {}).get(endpoint.key)
        if a_count and b_count:
            rows.append(
                [
                    f"`{endpoint.label}`",
                    "server instructions",
                    f"{a_count / 1000:.1f}k",
                    f"{b_count / 1000:.1f}k",
                    f"{(b_count / a_count - 1) * 100:+.1f}%",
                    "none (a count)",
                ]
            )
    if not rows:
        return [*lines, "Not measured: both variants are needed.", ""]
    header = ["Endpoint", "Metric", "core only", "core + plugins", "Δ", "noise"]
    startup = results.get("startup", {})
    extra = []
    if core in startup and plugins in startup:
        a, b = startup[core], startup[plugins]
        extra = [
            f"Startup (import + build): {median(a['import_build_ms']):.0f} ms core-only, "
            f"{median(b['import_build_ms']):.0f} ms with the plugins; idle memory {median(a['rss_mib']):.1f} MiB vs "
            f"{median(b['rss_mib']):.1f} MiB.",
            "",
        ]
    return [*lines, *_table(header, rows, "llrrrr"), "", *extra]


def render(results: dict[str, Any]) -> str:
    """The whole Markdown report."""
    lines = _header(results)
    for section in (
        _inproc_section,
        _wire_section,
        _instructions_section,
        _startup_section,
        _routing_section,
        _plugins_section,
        _apps_section,
    ):
        lines += section(results)
    return "\n".join(lines).rstrip() + "\n"


def summary(results: dict[str, Any]) -> str:
    """The main tables, for the terminal."""
    lines = []
    for section in (_inproc_section, _wire_section, _instructions_section, _startup_section):
        lines += [line for line in section(results) if line.startswith(("|", "#"))] + [""]
    return "\n".join(lines)
