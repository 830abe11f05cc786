// Visit form: the optional location check-in (记录位置). Only when the officer taps the button,
// and only if the phone's browser asks and the officer allows it, the position is put into the
// form's hidden latitude / longitude / accuracy fields. Nothing is sent anywhere else.
(function () {
  "use strict";
  var box = document.querySelector("[data-geo]");
  if (!box) { return; }
  var button = box.querySelector("[data-geo-button]");
  var status = box.querySelector("[data-geo-status]");
  var form = box.closest("form");
  if (!("geolocation" in navigator) || !form) {
    status.textContent = "此浏览器不支持定位";
    button.disabled = true;
    return;
  }
  function set(name, value) {
    var input = form.querySelector("input[name=" + name + "]");
    if (input) { input.value = value; }
  }
  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (position) {
      var c = position.coords;
      set("latitude", c.latitude.toFixed(6));
      set("longitude", c.longitude.toFixed(6));
      set("location_accuracy", Math.round(c.accuracy).toString());
      status.textContent = "已记录位置（精度约 " + Math.round(c.accuracy) + " 米）";
      button.textContent = "重新定位";
      button.disabled = false;
    }, function (error) {
      var reasons = {1: "您未允许定位，可不记录位置", 2: "暂时无法获取位置", 3: "定位超时，请重试"};
      status.textContent = reasons[error.code] || "定位失败";
      button.disabled = false;
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });
})();
