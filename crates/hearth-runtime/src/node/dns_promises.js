// node:dns/promises — see dns.js.
import dns from 'node:dns';

export const { lookup, Resolver, getServers, setServers, setDefaultResultOrder, getDefaultResultOrder } = dns.promises;
export default dns.promises;
