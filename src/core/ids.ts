// Identifiers: UUIDs for items and reviews (the review contract calls them UUIDs), prefixed random ids elsewhere.
import { randomBytes, randomUUID } from 'node:crypto';

export const newUuid = (): string => randomUUID();
export const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('base64url')}`;
