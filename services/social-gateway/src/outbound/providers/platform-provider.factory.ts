import type { SocialChannel } from '../../config/social-accounts.config';
import { MetaGraphProvider } from './meta-graph.provider';
import type { SocialPlatformProvider } from './platform-provider.interface';
import { TelegramBotProvider } from './telegram-bot.provider';
import { XDirectMessageProvider } from './x-dm.provider';

export interface PlatformBaseUrls {
  metaGraph: string;
  telegram: string;
  x: string;
}

/** Picks the provider of a channel (novu's factory pattern); one instance per platform. */
export class PlatformProviderFactory {
  private readonly byChannel = new Map<SocialChannel, SocialPlatformProvider>();

  constructor(providers: readonly SocialPlatformProvider[]) {
    for (const provider of providers) {
      for (const channel of provider.channels) this.byChannel.set(channel, provider);
    }
  }

  static forBaseUrls(urls: PlatformBaseUrls): PlatformProviderFactory {
    return new PlatformProviderFactory([
      new MetaGraphProvider(urls.metaGraph),
      new TelegramBotProvider(urls.telegram),
      new XDirectMessageProvider(urls.x),
    ]);
  }

  forChannel(channel: SocialChannel): SocialPlatformProvider {
    const provider = this.byChannel.get(channel);
    if (provider === undefined) throw new Error(`no platform provider for channel ${channel}`);
    return provider;
  }
}
