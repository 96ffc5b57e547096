// The store page's camera scan: where the browser offers barcode detection (BarcodeDetector, on most phones),
// a button opens the back camera and fills the barcode field with the first code it reads. Elsewhere the
// button stays hidden and the field takes what a handheld scanner types.
(function () {
  const button = document.getElementById('scan-camera');
  const video = document.getElementById('scan-video');
  const field = document.querySelector('form.count input[name=sku]');
  if (!button || !video || !field || !('BarcodeDetector' in window) || !navigator.mediaDevices) return;
  button.hidden = false;
  button.addEventListener('click', async () => {
    const detector = new window.BarcodeDetector({ formats: ['ean_13', 'ean_8', 'upc_a', 'upc_e', 'code_128'] });
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    } catch (error) {
      button.textContent = 'Camera not available';
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const stop = () => {
      stream.getTracks().forEach((track) => track.stop());
      video.hidden = true;
    };
    const look = async () => {
      const codes = await detector.detect(video).catch(() => []);
      if (codes.length > 0) {
        field.value = codes[0].rawValue;
        stop();
        document.querySelector('form.count input[name=counted]').focus();
        return;
      }
      requestAnimationFrame(look);
    };
    look();
  });
})();
