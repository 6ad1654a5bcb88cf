// A Stacks wallet for the browser tests, injected into a page as window.LeatherProvider:
// request('stx_signStructuredMessage') signs the login, and request('stx_callContract') builds
// the contract-call transaction from the request's parameters with @stacks/transactions (here,
// in Node), signs it with the account's key — with exactly the post-conditions and the deny
// mode the page asked for — and broadcasts it to the node, as a wallet does. Every request is
// recorded; `rejectNext(when)` makes the next prompt (or the next one whose parameters `when`
// accepts) answer as a user who clicked "Cancel".
import {
  deserializeCV,
  getAddressFromPrivateKey,
  makeContractCall,
  privateKeyToPublic,
  signStructuredData,
} from '@stacks/transactions';

const FEE = 10_000n;

export async function installChainWallet(page, { key, nodeUrl, network = 'testnet' }) {
  const address = getAddressFromPrivateKey(key, network);
  const wallet = { address, key, requests: [], sent: [], lastNonce: null, reject: null };
  wallet.rejectNext = (when = () => true) => {
    wallet.reject = when;
  };
  await page.exposeFunction('__genoflowWallet', async (method, params) => {
    wallet.requests.push({ method, params });
    if (method === 'stx_callContract' && wallet.reject?.(params)) {
      wallet.reject = null;
      return { rejected: true };
    }
    if (method === 'stx_signStructuredMessage') {
      const signature = signStructuredData({ message: deserializeCV(params.message), domain: deserializeCV(params.domain), privateKey: key });
      return { signature, publicKey: privateKeyToPublic(key) };
    }
    if (method !== 'stx_callContract') throw new Error(`unexpected method ${method}`);
    if (params.postConditionMode !== 'deny') throw new Error('this wallet only signs deny-mode calls');
    if (params.network !== network) throw new Error(`asked for ${params.network}, the wallet is on ${network}`);
    const [contractAddress, contractName] = params.contract.split('.');
    const account = await (await fetch(`${nodeUrl}/v2/accounts/${address}?proof=0`)).json();
    let nonce = BigInt(account.nonce);
    if (wallet.lastNonce !== null && wallet.lastNonce >= nonce) nonce = wallet.lastNonce + 1n;
    const transaction = await makeContractCall({
      contractAddress,
      contractName,
      functionName: params.functionName,
      functionArgs: params.functionArgs.map((hex) => deserializeCV(hex)),
      postConditions: params.postConditions,
      postConditionMode: 'deny',
      senderKey: key,
      network,
      nonce,
      fee: FEE,
      validateWithAbi: false,
    });
    const response = await fetch(`${nodeUrl}/v2/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from(transaction.serialize(), 'hex'),
    });
    const body = await response.json();
    if (!response.ok) return { error: { code: -32603, message: `the node refused it: ${body.reason}` } };
    wallet.lastNonce = nonce;
    wallet.sent.push({ txid: body, functionName: params.functionName, params });
    return { txid: body, transaction: transaction.serialize() };
  });
  await page.addInitScript(() => {
    window.LeatherProvider = {
      async request(method, params) {
        const answer = await window.__genoflowWallet(method, params);
        if (answer.rejected) throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
        if (answer.error) return { jsonrpc: '2.0', id: '1', error: answer.error };
        return { jsonrpc: '2.0', id: '1', result: answer };
      },
    };
  });
  return wallet;
}

export { FEE as WALLET_FEE };
