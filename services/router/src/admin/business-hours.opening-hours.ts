import type { QueueConfig } from '../configuration/routing-config.schema';
import { isWithinBusinessHours } from '../queues/business-hours';
import type { QueueOpeningHours } from './queue-figures';

/** A queue without business hours is always open. */
export const businessHoursOfQueues: QueueOpeningHours = {
  isOpen: (queue: QueueConfig, at: Date) =>
    !queue.businessHours || isWithinBusinessHours(queue.businessHours, at),
};
