// The two small pages: the game host (laptop) and the phone controller.
export const HOST_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Full Tilt — host</title>
<style>body{font-family:sans-serif;margin:2em}#field{position:relative;width:400px;height:300px;border:2px solid #333}
#dot{position:absolute;width:20px;height:20px;border-radius:10px;background:#e44;left:190px;top:140px}</style></head>
<body><h1>Full Tilt</h1>
<p><button id="create">Create room</button> <span id="code"></span></p>
<p id="join"></p><div id="field"><div id="dot"></div></div><pre id="log"></pre>
<script>
const log = (m) => (document.getElementById('log').textContent = m + '\\n' + document.getElementById('log').textContent);
document.getElementById('create').onclick = async () => {
  const { room } = await (await fetch('/api/room', { method: 'POST', body: '{}' })).json();
  document.getElementById('code').textContent = 'Room code: ' + room.roomCode;
  const link = location.origin + '/controller?room=' + room.roomCode;
  document.getElementById('join').innerHTML = 'On your phone open <a href="' + link + '">' + link + '</a>';
  const ws = new WebSocket(location.origin.replace('http', 'ws') + '/api/room/' + room.roomCode + '/websocket?role=host');
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.type === 'peer-message') {
      const { x, y } = JSON.parse(msg.data);
      const dot = document.getElementById('dot');
      dot.style.left = Math.max(0, Math.min(380, 190 + x * 4)) + 'px';
      dot.style.top = Math.max(0, Math.min(280, 140 + y * 4)) + 'px';
    } else log(e.data);
  };
};
</script></body></html>`;

export const CONTROLLER_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Full Tilt — controller</title></head>
<body style="font-family:sans-serif"><h1>Controller</h1>
<p><input id="room" maxlength="4" placeholder="ABCD" style="text-transform:uppercase"> <button id="go">Join</button></p>
<p id="status"></p>
<script>
const params = new URLSearchParams(location.search);
if (params.get('room')) document.getElementById('room').value = params.get('room');
document.getElementById('go').onclick = () => {
  const code = document.getElementById('room').value.toUpperCase();
  const ws = new WebSocket(location.origin.replace('http', 'ws') + '/api/room/' + code + '/websocket?role=peer');
  ws.onopen = () => (document.getElementById('status').textContent = 'Connected: tilt your phone');
  ws.onmessage = (e) => (document.getElementById('status').textContent = 'Host says: ' + e.data);
  ws.onclose = () => (document.getElementById('status').textContent = 'Disconnected');
  const send = (x, y) => ws.readyState === 1 && ws.send(JSON.stringify({ x, y }));
  window.addEventListener('deviceorientation', (e) => send(e.gamma || 0, e.beta || 0));
  document.body.addEventListener('touchmove', (e) => send((e.touches[0].clientX - innerWidth / 2) / 10, (e.touches[0].clientY - innerHeight / 2) / 10));
};
</script></body></html>`;
