// Summarises the simnet's costs-reports.json (one entry per contract call made
// by the tests): for each function, the largest cost seen in any call, as a
// share of the block limit. verify-inclusion is also broken down by proof length.
//
//   node scripts/costs-summary.mjs [costs-reports.json]
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? "costs-reports.json";
const reports = JSON.parse(readFileSync(file, "utf8"));
if (!Array.isArray(reports) || reports.length === 0) {
  console.error(`${file} holds no cost reports: run \`npm run test:costs\` first.`);
  process.exit(1);
}

const ORDER = ["identity", "registry", "subscription", "oracle", "marketplace", "reputation"];
const DIMENSIONS = ["runtime", "read_count", "read_length", "write_count", "write_length"];

/** Number of elements of a printed Clarity list argument like `(0x.. 0x..)`. */
function listLength(printed) {
  const inner = printed.trim().replace(/^\(|\)$/g, "").trim();
  return inner === "" ? 0 : inner.split(/\s+/).length;
}

const groups = new Map();
function add(key, report) {
  const group = groups.get(key) ?? { calls: 0, max: {}, limit: report.cost_result.limit };
  group.calls += 1;
  for (const d of DIMENSIONS) group.max[d] = Math.max(group.max[d] ?? 0, report.cost_result.total[d]);
  groups.set(key, group);
}

for (const report of reports) {
  const contract = report.contract_id.split(".")[1];
  if (!ORDER.includes(contract)) continue;
  add(`${contract}.${report.method}`, report);
  if (report.method === "verify-inclusion") {
    add(`${contract}.verify-inclusion, proof of ${listLength(report.args[3])}`, report);
  }
}

function pct(value, limit) {
  const share = (100 * value) / limit;
  return share === 0 ? "0%" : share < 0.0001 ? "<0.0001%" : `${share.toPrecision(2)}%`;
}

const keys = [...groups.keys()].sort((a, b) => {
  const ca = ORDER.indexOf(a.split(".")[0]);
  const cb = ORDER.indexOf(b.split(".")[0]);
  if (ca !== cb) return ca - cb;
  const na = a.match(/proof of (\d+)/);
  const nb = b.match(/proof of (\d+)/);
  if (na && nb) return Number(na[1]) - Number(nb[1]);
  return a.localeCompare(b);
});

console.log("| function | calls | runtime | reads | read bytes | writes | write bytes |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const key of keys) {
  const { calls, max, limit } = groups.get(key);
  const cell = (d) => `${max[d]} (${pct(max[d], limit[d])})`;
  console.log(
    `| ${key} | ${calls} | ${cell("runtime")} | ${cell("read_count")} | ${cell("read_length")} | ` +
      `${cell("write_count")} | ${cell("write_length")} |`,
  );
}
const limit = reports[0].cost_result.limit;
console.log(
  `\nBlock limit: runtime ${limit.runtime}, reads ${limit.read_count}, read bytes ${limit.read_length}, ` +
    `writes ${limit.write_count}, write bytes ${limit.write_length}.`,
);
