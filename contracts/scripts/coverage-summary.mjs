// Merges the per-test records of the simnet's lcov.info (one record per test
// and contract) and prints line, function and branch coverage per contract.
// Exits non-zero when a contract's line coverage is under the threshold.
//
//   node scripts/coverage-summary.mjs [lcov.info] [--min 95]
import { readFileSync } from "node:fs";
import { basename } from "node:path";

const args = process.argv.slice(2);
const minIndex = args.indexOf("--min");
const minimum = minIndex >= 0 ? Number(args[minIndex + 1]) : 95;
const file = args.find((a, i) => !a.startsWith("--") && i !== minIndex + 1) ?? "lcov.info";

/** contract -> { lines: Map<line, hits>, functions: Map<name, hits>, branches: Map<id, hits> } */
const contracts = new Map();
let current;
for (const line of readFileSync(file, "utf8").split("\n")) {
  const [tag, rest] = [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)];
  if (tag === "SF") {
    const name = basename(rest, ".clar");
    if (!contracts.has(name)) {
      contracts.set(name, { lines: new Map(), functions: new Map(), branches: new Map() });
    }
    current = contracts.get(name);
  } else if (!current) {
    continue;
  } else if (tag === "DA") {
    const [lineNo, hits] = rest.split(",");
    current.lines.set(lineNo, (current.lines.get(lineNo) ?? 0) + Number(hits));
  } else if (tag === "FNDA") {
    const [hits, name] = rest.split(",");
    current.functions.set(name, (current.functions.get(name) ?? 0) + Number(hits));
  } else if (tag === "FN") {
    const name = rest.split(",")[1];
    if (!current.functions.has(name)) current.functions.set(name, 0);
  } else if (tag === "BRDA") {
    const [lineNo, block, branch, hits] = rest.split(",");
    const id = `${lineNo}/${block}/${branch}`;
    current.branches.set(id, (current.branches.get(id) ?? 0) + (hits === "-" ? 0 : Number(hits)));
  } else if (tag === "end_of_record") {
    current = undefined;
  }
}

if (contracts.size === 0) {
  console.error(`${file} holds no coverage records: run \`npm run test:coverage\` first.`);
  process.exit(1);
}

function share(map) {
  const total = map.size;
  const hit = [...map.values()].filter((h) => h > 0).length;
  return { hit, total, percent: total === 0 ? 100 : (100 * hit) / total };
}

const rows = [];
let failed = false;
for (const [name, data] of [...contracts].sort()) {
  const lines = share(data.lines);
  const functions = share(data.functions);
  const branches = share(data.branches);
  const missed = [...data.lines].filter(([, h]) => h === 0).map(([l]) => l);
  if (lines.percent < minimum) failed = true;
  rows.push(
    `| ${name} | ${lines.percent.toFixed(1)}% (${lines.hit}/${lines.total}) | ` +
      `${functions.percent.toFixed(1)}% (${functions.hit}/${functions.total}) | ` +
      `${branches.percent.toFixed(1)}% (${branches.hit}/${branches.total}) | ${missed.join(", ") || "-"} |`,
  );
}
console.log("| contract | lines | functions | branches | lines never run |");
console.log("| --- | --- | --- | --- | --- |");
for (const row of rows) console.log(row);
if (failed) {
  console.error(`line coverage under ${minimum}% for at least one contract`);
  process.exit(1);
}
