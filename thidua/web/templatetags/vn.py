from django import template

from thidua.lib import vn

register = template.Library()
register.filter("so", vn.number)
register.filter("dong", vn.money)
register.filter("phantram", vn.percent)
register.filter("ngay", vn.date)
register.filter("diem", vn.points)
register.filter("tyle", vn.ratio)
register.filter("hang", vn.prize)
