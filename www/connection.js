// Where requests go: the sandbox (the mock API on this page's origin, with its sandbox token) or
// useapi.net with the user's token. The token lives in memory only, plus this tab's
// sessionStorage when the user ticks "remember"; it is never saved with the jobs.
import { DreaminaClient } from 'dreamina-upscale';

const SANDBOX_TOKEN = 'user:12345-sandbox';
const LIVE_BASE_URL = 'https://api.useapi.net/v1/dreamina';
const TOKEN_KEY = 'dreamina-demo-token';
const SANDBOX_POLL_MS = 500; // the mock finishes in ~1.5 s; the real API gets the package's schedule

/** sessionStorage may be unavailable (privacy settings): the token then stays in memory only. */
function session(action, value) {
  try {
    if (action === 'get') return sessionStorage.getItem(TOKEN_KEY);
    if (action === 'set') sessionStorage.setItem(TOKEN_KEY, value);
    if (action === 'remove') sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    return null;
  }
  return null;
}

/**
 * `els`: { modes (the mode radio inputs), sandboxPanel, livePanel, sandboxUrl, token, remember }.
 * `onTokenInput()` runs when the token is edited, `onModeChange(mode)` when the user switches.
 */
export function createConnection(els, { onTokenInput, onModeChange }) {
  const sandboxBaseUrl = `${location.origin}/v1/dreamina`;
  let token = '';

  const mode = () => els.modes.find((r) => r.checked).value;
  function showPanel() {
    const live = mode() === 'live';
    els.sandboxPanel.hidden = live;
    els.livePanel.hidden = !live;
  }
  function setMode(value) {
    for (const r of els.modes) r.checked = r.value === value;
    showPanel();
  }
  function remember() {
    if (els.remember.checked && token) session('set', token);
    else session('remove');
  }

  els.sandboxUrl.textContent = sandboxBaseUrl;
  const saved = session('get');
  if (saved) {
    token = saved;
    els.token.value = saved;
    els.remember.checked = true;
    setMode('live');
  }
  showPanel();
  for (const r of els.modes) r.addEventListener('change', () => { showPanel(); onModeChange(mode()); });
  els.token.addEventListener('input', () => {
    token = els.token.value.trim();
    onTokenInput();
    remember();
  });
  els.remember.addEventListener('change', remember);

  return {
    mode,
    setMode,
    hasToken: () => token !== '',
    /** A client for the chosen API (throws a validation error naming `token` when it is missing). */
    client: () => (mode() === 'sandbox'
      ? new DreaminaClient({ baseUrl: sandboxBaseUrl, token: SANDBOX_TOKEN })
      : new DreaminaClient({ baseUrl: LIVE_BASE_URL, token })),
    /** Wait options: the sandbox polls fast, the real API gets the package's schedule. */
    pollOptions: () => (mode() === 'sandbox' ? { pollIntervalMs: SANDBOX_POLL_MS } : {}),
    /** The mode cannot change while a run is in flight. */
    lock: (locked) => { for (const r of els.modes) r.disabled = locked; },
  };
}
