// The linked Dreamina accounts (US and CA regions): GET /accounts, GET /accounts/{account},
// their credits (charged as jobs are made) and the account a generation runs on.

import { json, error } from './reply.mjs';
import { KNOWN_MODELS, MODELS } from './models.mjs';

/** The accounts every mock starts with, in the order GET /accounts lists them. The first runs
 * jobs whose request names no account (while it has capacity); the weird one owns SEEDED.weird. */
export const LINKED_ACCOUNTS = Object.freeze(['US:user@example.com', 'CA:user@example.com', 'US:we/ird?#%x@example.com']);
export const DEFAULT_ACCOUNT = LINKED_ACCOUNTS[0];
const START_CREDITS = { vip: 600, gift: 60, purchase: 0 };
const SESSION_DAYS = 30;
const VIDEO_MODELS = ['seedance-2.0', 'seedance-1.5-pro', 'seedance-1.0-mini'];

/** `REGION:email` -> {region, email}, or null when it is not of that shape. */
export function splitAccount(account) {
  const m = /^(US|CA):(.+)$/.exec(String(account));
  return m ? { region: m[1], email: m[2] } : null;
}

/** Fresh account records (credits and uploads), keyed by account id. */
export function seedAccounts(now = Date.now()) {
  return new Map(LINKED_ACCOUNTS.map((account) => [account, {
    account, ...splitAccount(account),
    credits: { ...START_CREDITS },
    sessionExpires: now + SESSION_DAYS * 86400e3,
    lastRefreshed: now,
    uploads: [],
  }]));
}

export const unknownAccount = (account) => error(404, `Unable to find configuration for account ${account}`);

/** Take `cost` credits (gift first, then vip, then purchase); false (nothing taken) when short. */
export function charge(acct, cost) {
  const c = acct.credits;
  if (c.gift + c.vip + c.purchase < cost) return false;
  let left = cost;
  for (const k of ['gift', 'vip', 'purchase']) {
    const take = Math.min(c[k], left);
    c[k] -= take;
    left -= take;
  }
  return true;
}

function summary(store, acct) {
  const maxJobs = store.state.config.capacity ?? 50;
  return { account: acct.account, email: acct.email, region: acct.region, maxJobs, sessionExpires: new Date(acct.sessionExpires).toISOString() };
}

/** GET /accounts: a map keyed by account id. */
export function listAccounts(store) {
  const out = {};
  for (const acct of store.state.accounts.values()) out[acct.account] = summary(store, acct);
  return json(200, out);
}

/** GET /accounts/{account}: session, models and credits too. */
export function getAccount(store, account) {
  const acct = store.state.accounts.get(account);
  if (!acct) return unknownAccount(account);
  const { gift, vip, purchase } = acct.credits;
  return json(200, {
    ...summary(store, acct),
    session: {
      expires: new Date(acct.sessionExpires).toISOString(),
      lastRefreshed: new Date(acct.lastRefreshed).toISOString(),
      daysUntilExpiry: Math.max(0, Math.round((acct.sessionExpires - Date.now()) / 86400e3)),
    },
    models: { image: KNOWN_MODELS.filter((m) => MODELS[m].regions.includes(acct.region)), video: VIDEO_MODELS },
    credits: { total: gift + vip + purchase, vip, gift, purchase, dailyClaimed: true },
  });
}
