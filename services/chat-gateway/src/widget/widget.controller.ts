import { BadRequestException, Controller, Get, Header, Query } from '@nestjs/common';
import { demoPageHtml, WIDGET_SCRIPT } from './widget.assets';

const TENANT_ID = /^[A-Za-z0-9_.-]{1,100}$/;

/** The embeddable widget (one script tag) and a demo page that embeds it. */
@Controller()
export class WidgetController {
  @Get('widget.js')
  @Header('Content-Type', 'application/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=300')
  widget(): string {
    return WIDGET_SCRIPT;
  }

  /** `/demo?tenant=<id>` (default `demo`); the id is validated, so it is safe inside HTML. */
  @Get('demo')
  @Header('Content-Type', 'text/html; charset=utf-8')
  demo(@Query('tenant') tenant: unknown): string {
    const tenantId = tenant === undefined ? 'demo' : tenant;
    if (typeof tenantId !== 'string' || !TENANT_ID.test(tenantId)) {
      throw new BadRequestException('tenant must be letters, digits, ".", "_" or "-"');
    }
    return demoPageHtml(tenantId);
  }
}
