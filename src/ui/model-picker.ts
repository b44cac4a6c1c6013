/**
 * What `/model` without an argument offers: the models the provider lists (`GET /v1/models` of an OpenAI-compatible
 * upstream), the one in use first. An upstream without a list (an error, a timeout, an empty list, a provider that
 * cannot list) still gets a picker, with the configured model, and a note that says why and that `/model NAME`
 * switches to any model.
 */
import type { ModelProvider } from '../core/providers/types.js';
import { sanitize } from '../core/text/sanitize.js';
import type { PickerItem } from './components/ListPicker.js';

/** How long the list may take before the picker opens without it. */
export const LIST_MODELS_TIMEOUT_MS = 5000;

/** The picker's items, the ids the upstream listed (empty when it did not), and a note when it did not. */
export interface ModelChoices {
  items: PickerItem[];
  listed: string[];
  note?: string;
}

/** Lists the models of `provider` for the picker; `current` is the model in use. Never rejects. */
export async function modelChoices(
  provider: ModelProvider,
  current: string,
  signal?: AbortSignal,
): Promise<ModelChoices> {
  let listed: string[] = [];
  let why: string | undefined;
  if (!provider.listModels) why = `the ${sanitize(provider.id)} provider has no list of models`;
  else
    try {
      const timeout = AbortSignal.timeout(LIST_MODELS_TIMEOUT_MS);
      listed = await provider.listModels(signal ? AbortSignal.any([signal, timeout]) : timeout);
      if (listed.length === 0) why = `${sanitize(provider.baseURL ?? 'the upstream')} lists no models`;
    } catch (e) {
      const err = e as Error;
      const reason = err?.name === 'TimeoutError' ? 'no answer in 5 s' : sanitize(err?.message ?? String(e));
      why = `could not list the models (${reason})`;
    }
  const ids = [current, ...listed.filter((id) => id !== current)];
  const items = ids.map((id) => ({
    id,
    label: sanitize(id).replace(/\s+/g, ' '),
    ...(id === current ? { detail: 'in use' } : {}),
  }));
  return {
    items,
    listed,
    ...(why ? { note: `${why}: showing the model in use; /model NAME switches to any other` } : {}),
  };
}
