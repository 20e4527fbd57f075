// Camera scanning for the clerk's pages: a button opens the (rear) camera, frames are decoded
// with jsQR, and the first code found fills the field and submits its form.
(function () {
  function start(button) {
    var input = document.querySelector(button.dataset.scanInput);
    var form = input.form;
    var box = document.querySelector(button.dataset.scanBox);
    var video = document.createElement('video');
    video.setAttribute('playsinline', '');
    video.muted = true;
    video.style.width = '100%';
    box.innerHTML = '';
    box.appendChild(video);
    var canvas = document.createElement('canvas');
    var ctx = canvas.getContext('2d', { willReadFrequently: true });
    var stream = null;
    var done = false;
    function stop() {
      done = true;
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      box.innerHTML = '';
      button.textContent = button.dataset.startLabel;
      button.onclick = function () { start(button); };
    }
    button.textContent = button.dataset.stopLabel;
    button.onclick = stop;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        return video.play();
      })
      .then(function tick() {
        if (done) return;
        if (video.readyState >= 2 && video.videoWidth > 0) {
          canvas.width = video.videoWidth;
          canvas.height = video.videoHeight;
          ctx.drawImage(video, 0, 0);
          var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
          var found = window.jsQR(img.data, img.width, img.height, { inversionAttempts: 'dontInvert' });
          if (found && found.data) {
            input.value = found.data;
            stop();
            form.requestSubmit ? form.requestSubmit() : form.submit();
            return;
          }
        }
        requestAnimationFrame(tick);
      })
      .catch(function () {
        stop();
        box.textContent = button.dataset.failLabel;
      });
  }
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-scan-input]').forEach(function (b) {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { b.hidden = true; return; }
      b.dataset.startLabel = b.textContent;
      b.onclick = function () { start(b); };
    });
  });
})();
