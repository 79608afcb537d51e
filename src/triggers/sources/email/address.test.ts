import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { EmailRoutes, emailAddressProblem } from './address.js';

describe('email addresses', () => {
  it('accepts addresses and *@domain, and says what is wrong with the rest', () => {
    for (const ok of ['orders@shop.example', 'Orders@Shop.Example', '*@support.shop.example', 'a.b+tag@x.io']) assert.equal(emailAddressProblem(ok), null, ok);
    assert.match(emailAddressProblem('orders') ?? '', /email address or "\*@domain"/);
    assert.match(emailAddressProblem('orders@localhost') ?? '', /not a domain name/);
    assert.match(emailAddressProblem('ord*@shop.example') ?? '', /whole local part/);
    assert.match(emailAddressProblem('a..b@shop.example') ?? '', /not a valid local part/);
    assert.match(emailAddressProblem('*@*.shop.example') ?? '', /not a domain name/);
  });

  it('routes the exact address before the domain pattern, case-insensitively, first claim wins', () => {
    const routes = new EmailRoutes<string>();
    routes.add('*@shop.example', 'catch-all');
    routes.add('orders@shop.example', 'orders');
    routes.add('orders@shop.example', 'second');
    assert.equal(routes.match('ORDERS@Shop.Example'), 'orders');
    assert.equal(routes.match('anyone@shop.example'), 'catch-all');
    assert.equal(routes.match('anyone@sub.shop.example'), undefined);
    assert.equal(routes.match('not-an-address'), undefined);
  });
});
