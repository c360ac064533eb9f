"""Go's own text/template, for checking the templates `render k8s` writes for ESO.

ESO's template engine v2 is Go text/template with sprig's functions. The
templates rideinfra writes use only `index` and `urlquery` (Go built-ins,
run here for real) and sprig's `replace`, defined here exactly as sprig
defines it: `strings.Replace(src, old, new, -1)`. The program uses only the
standard library (Debian's `golang-go`); nothing is fetched.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from support.servers import unavailable

PROGRAM = """package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"text/template"
)

type job struct {
	Template string            `json:"template"`
	Data     map[string]string `json:"data"`
}

func main() {
	var jobs []job
	if err := json.NewDecoder(os.Stdin).Decode(&jobs); err != nil {
		panic(err)
	}
	// sprig's replace, as sprig defines it
	funcs := template.FuncMap{"replace": func(old, new, src string) string {
		return strings.Replace(src, old, new, -1)
	}}
	out := []string{}
	for _, j := range jobs {
		// as ESO parses it: missing keys are errors
		t, err := template.New("t").Option("missingkey=error").Funcs(funcs).Parse(j.Template)
		if err != nil {
			panic(err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, j.Data); err != nil {
			panic(err)
		}
		out = append(out, buf.String())
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
"""


@functools.cache
def _binary() -> Path:
    go = shutil.which("go")
    if go is None:
        unavailable("Go is not installed (apt-get install golang-go)")
    assert go is not None
    root = Path(tempfile.mkdtemp(prefix="rideinfra-go-"))
    (root / "main.go").write_text(PROGRAM)
    env = {
        **os.environ,
        "GOPROXY": "off",  # standard library only: nothing is downloaded
        "GOFLAGS": "-mod=mod",
        "GOCACHE": str(root / "cache"),
        "GOPATH": str(root / "gopath"),
        "HOME": str(root),
    }
    proc = subprocess.run(
        [go, "build", "-o", str(root / "eval"), "main.go"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        unavailable(f"go build failed: {proc.stderr[-500:]}")
    return root / "eval"


def execute(jobs: Sequence[tuple[str, Mapping[str, str]]]) -> list[str]:
    """Each template executed by Go's text/template over its data (a Secret's string values)."""
    payload = json.dumps([{"template": t, "data": dict(d)} for t, d in jobs])
    proc = subprocess.run(
        [str(_binary())], input=payload, capture_output=True, text=True, timeout=120, check=True
    )
    return list(json.loads(proc.stdout))
