// Shared by the corpus services: listen on 127.0.0.1, an ephemeral port, printed on stdout once
// listening (the tests read that line). Idle keep-alive sockets are closed at once so that no
// connection outlives its request.
'use strict';
module.exports = function listen(app, onListening) {
  const server = app.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    if (onListening) onListening(port);
    console.log(port);
  });
  server.keepAliveTimeout = 1;
  return server;
};
