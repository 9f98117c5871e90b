/** Where a journal step writes, and the values of the fields it touches, as filters and updates. */
import type { Document } from 'mongodb';

export interface Target {
  db: string;
  coll: string;
}

/** Values of the touched fields: present ones in `set`, absent ones in `unset`. */
export interface FieldState {
  set: Document;
  unset: string[];
}

/** A filter matching a document whose touched fields hold exactly these values. */
export function stateFilter(state: FieldState): Document {
  const filter: Document = { ...state.set };
  for (const field of state.unset) filter[field] = { $exists: false };
  return filter;
}

/** The update that gives the touched fields these values. */
export function stateUpdate(state: FieldState): Document {
  const update: Document = {};
  if (Object.keys(state.set).length > 0) update.$set = state.set;
  if (state.unset.length > 0) update.$unset = Object.fromEntries(state.unset.map((f) => [f, '']));
  return update;
}
