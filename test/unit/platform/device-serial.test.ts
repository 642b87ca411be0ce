/**
 * The device serial derived from an IDevID subject serialNumber: Cisco SUDI `PID:… SN:…` (any
 * order, optional VID, any case of the keys) gives the SN token; anything else is verbatim.
 * @module
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceSerialFromSubject } from '../../../src/platform/device-serial.ts';

test('Cisco SUDI forms give the SN token', () => {
  assert.deepEqual(deviceSerialFromSubject('PID:C9300-24T SN:FCW2126G05V'), {
    serial: 'FCW2126G05V',
    form: 'cisco-sudi',
  });
  assert.equal(deviceSerialFromSubject('PID:ISR4451-X/K9 SN:FOC12345678').serial, 'FOC12345678');
  assert.equal(deviceSerialFromSubject('PID:NCS-5501 VID:V01 SN:FOC2040R0AB').serial, 'FOC2040R0AB');
  assert.equal(deviceSerialFromSubject('SN:FDO1234X0AB PID:WS-C3650-24PS').serial, 'FDO1234X0AB');
  assert.equal(deviceSerialFromSubject('pid:C9300-48P  sn:FOC9999Z1ZZ').serial, 'FOC9999Z1ZZ');
  assert.equal(deviceSerialFromSubject('PID:C9300-24T,SN:FCW2126G05V').serial, 'FCW2126G05V');
});

test('anything that is not exactly the token list stays verbatim', () => {
  for (const value of [
    'FCW2126G05V',
    'SN-TEST-0001',
    'SN:FCW2126G05V',
    'PID:C9300-24T',
    'PID:C9300-24T SN:A SN:B',
    'PID:C9300-24T SN:FCW2126G05V extra',
    'PID:C9300-24T SN:',
    'XID:1 SN:FCW2126G05V',
    'urn:dev:ops:32473-X-1',
    'PID:C9300 VID:V01',
  ]) {
    assert.deepEqual(deviceSerialFromSubject(value), { serial: value, form: 'verbatim' }, value);
  }
});
