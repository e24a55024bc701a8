// The package's real workerd entry, reached by path (Miniflare does not resolve package names).
export { DreaminaClient, createProxyHandler, handleWebhook } from '../../../pkg/workerd.mjs';
