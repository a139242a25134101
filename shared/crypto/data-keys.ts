/**
 * Where token-encryption keys come from. A `DataKeyRef` is stored on every encrypted item so that it can be
 * decrypted after the current key changes (rotation) and shredded by deleting the item's wrapped key.
 */
export type DataKeyRef = {
  /** e.g. `local:1`, or `kms:<key arn>` */
  keyVersion: string;
  /** KMS envelope encryption: the data key, encrypted by the KMS key. Absent for local keys. */
  wrappedKey?: Uint8Array;
};

export type DataKey = { ref: DataKeyRef; key: Buffer };

export interface DataKeyProvider {
  /** A 256-bit key to encrypt new data with, and the reference to store next to the ciphertext. */
  keyForEncrypt(): Promise<DataKey>;
  /** The 256-bit key a stored reference names; throws if it is unknown. */
  keyForDecrypt(ref: DataKeyRef): Promise<Buffer>;
}
