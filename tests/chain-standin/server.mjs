// TEST STAND-IN for a Stacks node and the Stacks API. Not a node: see README.md.
//
//   node server.mjs [--port 0] [--block-ms 200] [--fee-rate 1] [--response-delay-ms 0]
//                   [--manifest ../../contracts/Clarinet.toml] [--paused]
//
// Serves the endpoints `genoflow_node::NodeClient` uses, with the real
// node's and API's answer shapes, on top of the clarinet SDK simnet with
// GenoFlow's six contracts deployed. Prints `listening http://127.0.0.1:PORT`
// once ready (port 0 = any free port), then logs to stderr.
import { createServer } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initSimnet, tx as simnetTx } from '@stacks/clarinet-sdk';
import { parseArgs, routeTable } from './lib/options.mjs';
import { StandIn } from './lib/standin.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const options = parseArgs(process.argv.slice(2), process.env, {
  manifest: resolve(here, '../../contracts/Clarinet.toml'),
});

// The SDK resolves the manifest against the working directory and writes its
// cache next to the manifest; run it from the Clarinet project.
const manifest = resolve(options.manifest);
process.chdir(dirname(manifest));
const simnet = await initSimnet(manifest);
const standIn = new StandIn(simnet, simnetTx, options);

const server = createServer((request, response) => {
  routeTable(standIn, request, response).catch((error) => {
    console.error(`stand-in: ${request.method} ${request.url} failed:`, error);
    if (!response.headersSent) {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'stand-in failure', message: String(error?.message ?? error) }));
    }
  });
});

server.listen(options.port, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`listening http://127.0.0.1:${port}\n`);
  console.error(
    `stand-in: simnet at block ${simnet.blockHeight}, contracts of ${simnet.deployer}; ` +
      `blocks every ${options.blockMs} ms${options.paused ? ' (paused)' : ''}, fee rate ${options.feeRate} µSTX/byte`,
  );
  standIn.startMining();
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    standIn.stopMining();
    server.close(() => process.exit(0));
    // Keep-alive connections must not hold the exit up.
    setTimeout(() => process.exit(0), 500).unref();
  });
}
