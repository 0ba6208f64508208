"""Server-rendered SVG pictures of the web pages: an article's timeline across the mirrors
(``timeline``), the outlet's edit activity (``activity``) and its domains' states (``domains``),
built on the escaping and scales of ``svg``. No script; each picture has its text beside it."""
