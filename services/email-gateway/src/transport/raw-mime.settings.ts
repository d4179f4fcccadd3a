export interface RawMimeSettings {
  secret?: string;
  maxMessageBytes: number;
}

export const RAW_MIME_SETTINGS = Symbol('RAW_MIME_SETTINGS');
