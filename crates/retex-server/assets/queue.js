// The queue's "all on this page" checkbox and count of selected rows. The bulk form works without it, one
// checkbox at a time; this only shows the box (hidden without JavaScript) and keeps it and the count in step.
'use strict';

const all = document.getElementById('select-all');
if (all) {
  const rows = Array.from(document.querySelectorAll('table.queue input[name=id]'));
  const count = document.getElementById('selected-count');
  const update = () => {
    const selected = rows.filter((row) => row.checked).length;
    all.checked = selected > 0 && selected === rows.length;
    all.indeterminate = selected > 0 && selected < rows.length;
    count.textContent = selected > 0 ? `(${selected} selected)` : '';
  };
  all.addEventListener('change', () => {
    for (const row of rows) row.checked = all.checked;
    update();
  });
  for (const row of rows) row.addEventListener('change', update);
  document.getElementById('select-all-label').hidden = false;
  update();
}
