/**
 * Where attachment bytes live, behind one small interface: the database (default: the
 * chat_attachment_blobs table, on PGlite and PostgreSQL alike, nothing to install) or an
 * S3-compatible bucket when S3_BUCKET is set. Keys are opaque strings chosen by the service.
 */
export interface AttachmentStore {
  /** `db` or `s3`: stored with each attachment so a file is always read from where it was written. */
  readonly kind: 'db' | 's3';
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** The bytes, or null when the key holds nothing. */
  get(key: string): Promise<Buffer | null>;
  /** A short-lived URL the browser downloads from directly (S3 only). */
  presignDownload?(key: string, options: { filename: string; contentType: string }): Promise<string>;
  /** Deletes these keys; keys that hold nothing are ignored. */
  delete(keys: string[]): Promise<void>;
  /**
   * Deletes up to `limit` objects written before `before` whose key `isReferenced` does not
   * know (the orphan sweep); returns how many.
   */
  deleteOrphans(before: Date, limit: number, isReferenced: (keys: string[]) => Promise<Set<string>>): Promise<number>;
}
