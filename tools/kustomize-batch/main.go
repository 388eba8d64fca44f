// kustomize-batch builds kustomizations one after another for argoflow-gen, exactly as `kubectl kustomize DIR`
// of kubectl 1.32 does (kustomize v5.5.0, the same build command), without starting a process and parsing
// kustomize's built-in OpenAPI schema for every build.
//
// Requests come on stdin, one JSON object per line: {"path": "/abs/dir", "limit": bytes, "gc_off": bool}:
// the build's soft memory limit (GOMEMLIMIT; 0: the one the program started with) and whether only that
// limit starts a collection (GOGC=off; false: the GOGC the program started with). Each answer on stdout is a
// header line, "ok N" or "error N", followed by N bytes: the build's YAML, or its error message. Nothing else
// is ever written to stdout.
//
// `kustomize-batch --version` prints the kustomize version it builds with.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"runtime/debug"
	"syscall"

	"sigs.k8s.io/kustomize/kustomize/v5/commands/build"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/openapi"
)

// Version is the kustomize version this program builds with (go.mod), as kubectl reports it.
const Version = "v5.5.0"

type request struct {
	Path  string `json:"path"`
	Limit int64  `json:"limit"`
	GCOff bool   `json:"gc_off"`
}

// The collector's settings at start (from GOMEMLIMIT and GOGC), restored for a request without its own.
var startLimit, startPercent int64

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		fmt.Println(Version)
		return
	}
	if len(os.Args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: kustomize-batch [--version] (requests on stdin)")
		os.Exit(2)
	}
	answers := protocol()
	startLimit = debug.SetMemoryLimit(-1)
	startPercent = int64(debug.SetGCPercent(100))
	debug.SetGCPercent(int(startPercent))
	log.SetOutput(io.Discard) // kustomize's warnings: kubectl's go to stderr, which argoflow-gen drops
	requests := bufio.NewReaderSize(os.Stdin, 1<<16)
	defaultSchema := openapi.GetSchemaVersion()
	for {
		line, err := requests.ReadBytes('\n')
		if err != nil {
			return // stdin closed: the run is over
		}
		var req request
		if err := json.Unmarshal(line, &req); err != nil || req.Path == "" {
			answer(answers, "error", []byte("kustomize-batch: malformed request"))
			continue
		}
		limit(req.Limit, req.GCOff)
		output, err := buildOne(req.Path)
		if openapi.GetSchemaVersion() != defaultSchema {
			// The build named its own schema (kustomization field openapi), which kustomize adds to the schema
			// earlier builds left in this process: build it again from none, as a fresh kubectl would, and
			// leave none to the next build.
			openapi.ResetOpenAPI()
			output, err = buildOne(req.Path)
			openapi.ResetOpenAPI()
		}
		if err != nil {
			answer(answers, "error", []byte(err.Error()))
		} else {
			answer(answers, "ok", output)
		}
		output = nil
		debug.FreeOSMemory() // the build's memory goes back to the system between builds
	}
}

// protocol is the stdout answers go to; the process's own stdout then points at stderr, so that nothing a
// library prints can corrupt an answer.
func protocol() *os.File {
	fd, err := syscall.Dup(1)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kustomize-batch:", err)
		os.Exit(1)
	}
	if err := syscall.Dup2(2, 1); err != nil {
		fmt.Fprintln(os.Stderr, "kustomize-batch:", err)
		os.Exit(1)
	}
	os.Stdout = os.Stderr
	return os.NewFile(uintptr(fd), "answers")
}

// limit holds the next build to `bytes` of memory, collecting only at that limit if gcOff, as kubectl would
// be under GOMEMLIMIT and GOGC=off; otherwise as at start.
func limit(bytes int64, gcOff bool) {
	if bytes > 0 {
		debug.SetMemoryLimit(bytes)
	} else {
		debug.SetMemoryLimit(startLimit)
	}
	if gcOff {
		debug.SetGCPercent(-1)
	} else {
		debug.SetGCPercent(int(startPercent))
	}
}

// buildOne is `kubectl kustomize DIR`: kustomize's own build command with its default flags, made afresh.
func buildOne(path string) (output []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			output, err = nil, fmt.Errorf("kustomize failed: %v", r)
		}
	}()
	var out bytes.Buffer
	cmd := build.NewCmdBuild(filesys.MakeFsOnDisk(), build.MakeHelp("kubectl", "kustomize"), &out)
	cmd.SetArgs([]string{"--", path})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceErrors = true
	if err := cmd.Execute(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func answer(w *os.File, status string, body []byte) {
	if _, err := fmt.Fprintf(w, "%s %d\n", status, len(body)); err != nil {
		os.Exit(1)
	}
	if _, err := w.Write(body); err != nil {
		os.Exit(1)
	}
}
