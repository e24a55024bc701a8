// The provider's model table (April 2026) and picture sizes: which resolutions, ratios, how many
// references and whether a prompt each model takes, its defaults, its region and its cost. A
// request a model does not allow is refused with 400 before anything is created or billed.

import { given } from './rules.mjs';

const ALL_RATIOS = ['auto', '1:1', '3:4', '16:9', '4:3', '9:16', '2:3', '3:2', '21:9'];
const seedream4 = { resolutions: ['2k', '4k'], maxRefs: 6, promptRequired: false, ratios: ALL_RATIOS, regions: ['US', 'CA'], credits: 0 };

/** Model name -> what it allows. `credits`: what one generation (and an upscale of its pictures) costs. */
export const MODELS = Object.freeze({
  'seedream-5.0-lite': { ...seedream4 },
  'seedream-4.7': { ...seedream4, regions: ['CA'], credits: 4 },
  'seedream-4.6': { ...seedream4 },
  'seedream-4.5': { ...seedream4, credits: 4 },
  'seedream-4.1': { ...seedream4, credits: 3 },
  'seedream-4.0': { ...seedream4 },
  'nano-banana': { resolutions: ['1k'], maxRefs: 3, promptRequired: true, ratios: ALL_RATIOS, regions: ['US', 'CA'], credits: 2 },
  'seedream-3.0': { resolutions: ['1k', '2k'], maxRefs: 1, promptRequired: true, ratios: ALL_RATIOS.slice(1), regions: ['US', 'CA'], credits: 1 },
  'gpt-image-2': { resolutions: ['1k'], maxRefs: 3, promptRequired: false, ratios: ['1:1', '2:3', '3:2'], regions: ['CA'], credits: 6 },
});
export const DEFAULT_MODEL = 'seedream-4.6';
export const KNOWN_MODELS = Object.freeze(Object.keys(MODELS));

/** The 2k picture of each ratio (the provider's: 2k 16:9 is 2560x1440). 1k is half of it on
 * each side, 4k twice, and 8k (upscales only) four times. */
const SIZES_2K = Object.freeze({
  '1:1': [2048, 2048], '4:3': [2304, 1728], '3:4': [1728, 2304], '16:9': [2560, 1440], '9:16': [1440, 2560],
  '3:2': [2496, 1664], '2:3': [1664, 2496], '21:9': [3024, 1296],
});
const TIER_SCALE = Object.freeze({ '1k': 0.5, '2k': 1, '4k': 2, '8k': 4 });

/** Width and height of a picture of `ratio` (not auto) at resolution `tier` (1k, 2k, 4k, 8k). */
export function pictureSize(ratio, tier) {
  const [w, h] = SIZES_2K[ratio] ?? SIZES_2K['1:1'];
  const k = TIER_SCALE[tier] ?? 1;
  return { width: w * k, height: h * k };
}

/** The table's ratio closest to a picture's aspect (how `auto` follows a reference, and upscales their source). */
export function nearestRatio(width, height) {
  const aspect = Math.log(width / height);
  let best = '1:1';
  for (const [r, [w, h]] of Object.entries(SIZES_2K)) {
    if (Math.abs(Math.log(w / h) - aspect) < Math.abs(Math.log(SIZES_2K[best][0] / SIZES_2K[best][1]) - aspect)) best = r;
  }
  return best;
}

const notSupported = (field, value, model, valid) =>
  `Parameter ${field} (${value}) is not supported by model ${model}. Valid values: ${valid.join(', ')}`;

/**
 * The model table's verdict on a (structurally valid) POST /images body: an error message
 * naming the field, or `{model, resolution, ratio, spec}` with the model's defaults applied.
 * `region`: the region of the account named by the request, if any.
 */
export function applyModel(body, region) {
  const model = body.model ?? DEFAULT_MODEL;
  const spec = MODELS[model];
  if (!spec) return { error: `Parameter model (${model}) is not supported. Valid values: ${KNOWN_MODELS.join(', ')}` };
  if (region && !spec.regions.includes(region)) {
    return { error: `Parameter model (${model}) is available in region ${spec.regions.join(', ')} only, not on a ${region} account` };
  }
  if (spec.promptRequired && !(typeof body.prompt === 'string' && body.prompt.trim() !== '')) {
    return { error: `Parameter prompt is required by model ${model}` };
  }
  let refs = 0;
  while (given(body[`imageRef_${refs + 1}`])) refs += 1;
  if (refs > spec.maxRefs) return { error: `Parameter imageRef_${spec.maxRefs + 1} is not supported by model ${model}: at most ${spec.maxRefs} reference image${spec.maxRefs === 1 ? '' : 's'}` };
  if (given(body.resolution) && !spec.resolutions.includes(body.resolution)) {
    return { error: notSupported('resolution', body.resolution, model, spec.resolutions) };
  }
  if (given(body.ratio) && !spec.ratios.includes(body.ratio)) return { error: notSupported('ratio', body.ratio, model, spec.ratios) };
  return {
    model, spec,
    resolution: body.resolution ?? spec.resolutions[0],
    ratio: body.ratio ?? (spec.ratios.includes('auto') ? 'auto' : '1:1'),
  };
}
