// The web-app entry of the hand-written baseline, bundled for the size comparison.
export { createClient, UpscaleError } from './plain.mjs';
