import type { DataKeyRef } from '../crypto/data-keys.js';
import { bin, type Item, readBin, requireStr, str } from './attributes.js';

/** Every item with sealed fields records which key sealed them (version, and the wrapped data key for KMS). */
export function keyRefAttributes(ref: DataKeyRef): Item {
  const attributes: Item = { keyVersion: str(ref.keyVersion) };
  if (ref.wrappedKey) attributes.wrappedKey = bin(ref.wrappedKey);
  return attributes;
}

export function readKeyRef(item: Item): DataKeyRef {
  const ref: DataKeyRef = { keyVersion: requireStr(item, 'keyVersion') };
  const wrapped = readBin(item, 'wrappedKey');
  if (wrapped) ref.wrappedKey = wrapped;
  return ref;
}
