// The account's credits: listAccounts, then getAccount of the first account it lists. Read when
// the user asks (the page sends nothing on its own), then again after each generation, which
// may cost credits; cleared when the API changes.
import { kindOf } from './errors.js';

/** `els`: { check (button), out (the status line) }. `deps`: { connection }. */
export function createAccount(els, { connection }) {
  const idle = els.out.innerHTML; // what the line says before the first check
  let shown = false;
  let seq = 0; // the latest read wins

  function say(text, state) {
    els.out.textContent = text;
    els.out.dataset.state = state;
  }

  async function read() {
    const mine = (seq += 1);
    els.check.disabled = true;
    say('Reading the account…', 'busy');
    try {
      const client = connection.client();
      const list = await client.listAccounts({ timeoutMs: 15_000 });
      const first = Object.values(list)[0]?.account ?? Object.keys(list)[0];
      if (mine !== seq) return;
      if (!first) {
        say('No Dreamina account is linked to this token: link one on useapi.net.', 'error');
        return;
      }
      const account = await client.getAccount(first, { timeoutMs: 15_000 });
      if (mine !== seq) return;
      shown = true;
      say(describe(account), 'ok');
    } catch (e) {
      if (mine === seq) say(`Could not read the account (${kindOf(e)}): ${e?.message ?? e}`, 'error');
    } finally {
      if (mine === seq) els.check.disabled = false;
    }
  }

  els.check.addEventListener('click', read);

  return {
    /** Reads the credits again if they are on screen (after a generation). */
    refresh: () => (shown ? read() : undefined),
    /** Another API: its account is another one. */
    clear() {
      seq += 1;
      shown = false;
      els.out.innerHTML = idle;
      delete els.out.dataset.state;
      els.check.disabled = false;
    },
  };
}

/** "660 credits (vip 600 · gift 60) · US:user@example.com · session 29 days left". */
function describe(account) {
  const c = account.credits;
  const parts = [];
  if (c && typeof c.total === 'number') {
    const kinds = ['vip', 'gift', 'purchase'].filter((k) => c[k]).map((k) => `${k} ${c[k]}`);
    parts.push(`${c.total} credit${c.total === 1 ? '' : 's'}${kinds.length ? ` (${kinds.join(' · ')})` : ''}`);
  } else {
    parts.push('Credits unknown (the API could not read them now)');
  }
  parts.push(account.account);
  const days = account.session?.daysUntilExpiry;
  if (typeof days === 'number') parts.push(`session ${days} day${days === 1 ? '' : 's'} left`);
  if (account.error) parts.push(String(account.error));
  return parts.join(' · ');
}
