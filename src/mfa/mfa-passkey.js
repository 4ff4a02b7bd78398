// Passkeys in the browser: the only script Yitong serves (/assets/mfa-passkey.js, allowed by the
// CSP of the pages that need it and of no other). A form marked data-passkey="get" (sign in) or
// "create" (register) carries the server's WebAuthn options as JSON in data-options; on submit the
// browser's WebAuthn API runs, and the JSON response goes back in the hidden passkey_response field.
(function () {
  'use strict';
  function toBytes(b64url) {
    var s = b64url.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64url(buf) {
    var bytes = new Uint8Array(buf);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function creationOptions(o) {
    var p = Object.assign({}, o, { challenge: toBytes(o.challenge), user: Object.assign({}, o.user, { id: toBytes(o.user.id) }) });
    p.excludeCredentials = (o.excludeCredentials || []).map(function (c) { return Object.assign({}, c, { id: toBytes(c.id) }); });
    return p;
  }
  function requestOptions(o) {
    var p = Object.assign({}, o, { challenge: toBytes(o.challenge) });
    if (o.allowCredentials) p.allowCredentials = o.allowCredentials.map(function (c) { return Object.assign({}, c, { id: toBytes(c.id) }); });
    return p;
  }
  function registrationJson(cred) {
    var r = cred.response;
    return {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: {
        clientDataJSON: toB64url(r.clientDataJSON),
        attestationObject: toB64url(r.attestationObject),
        transports: typeof r.getTransports === 'function' ? r.getTransports() : [],
      },
    };
  }
  function assertionJson(cred) {
    var r = cred.response;
    return {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: {
        clientDataJSON: toB64url(r.clientDataJSON),
        authenticatorData: toB64url(r.authenticatorData),
        signature: toB64url(r.signature),
        userHandle: r.userHandle ? toB64url(r.userHandle) : undefined,
      },
    };
  }
  var forms = document.querySelectorAll('form[data-passkey]');
  Array.prototype.forEach.call(forms, function (form) {
    var field = form.querySelector('input[name=passkey_response]');
    var problem = form.querySelector('.passkey-error');
    var busy = false;
    form.addEventListener('submit', function (event) {
      if (field.value) return; // the response is in: let the form go
      event.preventDefault();
      if (busy || !window.PublicKeyCredential) return;
      busy = true;
      if (problem) problem.hidden = true;
      var options = JSON.parse(form.getAttribute('data-options'));
      var create = form.getAttribute('data-passkey') === 'create';
      var pending = create
        ? navigator.credentials.create({ publicKey: creationOptions(options) }).then(registrationJson)
        : navigator.credentials.get({ publicKey: requestOptions(options) }).then(assertionJson);
      pending.then(
        function (json) {
          field.value = JSON.stringify(json);
          form.submit();
        },
        function () {
          busy = false;
          if (problem) {
            problem.textContent = problem.getAttribute('data-cancelled');
            problem.hidden = false;
          }
        },
      );
    });
  });
})();
