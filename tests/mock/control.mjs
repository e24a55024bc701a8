// The control API under /__mock (no auth, not logged): faults, request log, state, reset, config.

import { isObject } from './rules.mjs';
import { json, error } from './reply.mjs';

export function handleControl(store, method, rawPath, bodyText) {
  const { state } = store;
  const route = `${method} ${rawPath.replace(/\/+$/, '')}`;
  const parse = () => {
    try {
      return { ok: true, value: bodyText.trim() === '' ? {} : JSON.parse(bodyText) };
    } catch {
      return { ok: false };
    }
  };
  switch (route) {
    case 'POST /__mock/faults': {
      const b = parse();
      if (!b.ok) return error(400, 'Invalid JSON body');
      try {
        return json(200, { faults: store.addFault(b.value) });
      } catch (e) {
        return error(400, e.message);
      }
    }
    case 'DELETE /__mock/faults':
      store.clearFaults();
      return json(200, { faults: 0 });
    case 'GET /__mock/faults':
      return json(200, state.faults);
    case 'GET /__mock/requests':
      return json(200, state.requests);
    case 'GET /__mock/state':
      return json(200, {
        jobsCreated: state.jobsCreated, maxRunning: state.maxRunning, running: store.running(),
        requests: state.requests.length, faults: state.faults.length, webhooks: state.webhooks, config: state.config,
      });
    case 'POST /__mock/reset':
      store.reset();
      return json(200, { ok: true });
    case 'POST /__mock/config': {
      const b = parse();
      if (!b.ok || !isObject(b.value)) return error(400, 'Invalid JSON body');
      try {
        return json(200, store.setConfig(b.value));
      } catch (e) {
        return error(400, e.message);
      }
    }
    default:
      return error(404, 'Unknown control route');
  }
}
