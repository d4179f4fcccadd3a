import type { ChatTenant } from '../config/chat-tenants.config';
import { ChatError } from '../shared/chat-error';

/** What the visitor told the pre-chat form (already checked for shape and size by the parser). */
export interface PrechatForm {
  name?: string;
  email?: string;
  topic?: string;
}

/** The form, if its topic is one the tenant offers; otherwise a refusal naming the field. */
export function checkedPrechat(tenant: ChatTenant, form: PrechatForm): PrechatForm {
  if (form.topic !== undefined && !tenant.prechatTopics.includes(form.topic)) {
    const offered =
      tenant.prechatTopics.length === 0
        ? 'this chat offers no topics'
        : `choose one of: ${tenant.prechatTopics.join(', ')}`;
    throw new ChatError(
      'invalid_prechat',
      `invalid pre-chat form: topic: "${form.topic}" is not offered; ${offered}`,
    );
  }
  return {
    ...(form.name !== undefined ? { name: form.name } : {}),
    ...(form.email !== undefined ? { email: form.email } : {}),
    ...(form.topic !== undefined ? { topic: form.topic } : {}),
  };
}
