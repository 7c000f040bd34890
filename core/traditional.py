"""Traditional → simplified characters: the one table for titles, agency names and labels.

Mirror sites convert whole pages to traditional characters (``政府資訊公開工作年度報告``). The table
is curated, not the language: the characters of report titles, agency names, the notices about
reports and the form's labels, each paired one to one with its simplified form, so positions in a
converted text are positions in the original. A wrong pair here would join two bodies or two
labels, so only unambiguous standard pairs belong in it. Phrases come first: 資訊 is Taiwan's 信息.
"""

from __future__ import annotations

import re

_PAIRS = (  # traditional, simplified, traditional, simplified, …
    "佈布"
    "來来係系倉仓備备傳传僑侨價价儲储內内兩两創创劃划動动務务勞劳區区協协參参員员問问單单國国園园圖图執执報报場场壓压學学實实寧宁審审寶宝專专對对導导屆届屬属嶺岭庫库廢废廣广廳厅張张強强後后復复徵征態态慶庆"
    "應应戶户採采揚扬據据數数於于時时書书會会東东條条業业構构樂乐樓楼標标橋桥機机檔档檢检權权歲岁歷历歸归殘残殯殡氣气決决況况涼凉淨净測测湯汤準准溝沟溫温滅灭滬沪漁渔漢汉漿浆濟济濱滨灣湾災灾為为無无煙烟熱热"
    "營营爭争爾尔牽牵犧牺狀状獄狱獨独獲获獸兽現现環环甕瓮產产畝亩畫画異异當当疊叠療疗癥症發发盡尽監监盤盘眾众確确礎础礦矿禦御禮礼稅税種种稱称穩稳窮穷競竞節节範范築筑簡简糧粮糾纠紀纪約约紅红純纯級级組组結结"
    "絡络給给統统經经綜综綠绿維维網网緊紧線线編编練练縣县縮缩總总績绩織织繪绘繫系繳缴繼继續续纖纤罰罚罷罢羅罗義义習习聯联聲声職职聽听肅肃脅胁腦脑臺台與与興兴舉举舊旧艦舰華华萬万葉叶蔣蒋薊蓟薦荐藝艺藥药蘇苏"
    "蘭兰處处號号蟲虫術术衛卫衝冲裏里補补裝装製制複复覈核見见規规視视覺觉覽览觀观訂订計计訊讯討讨訓训記记訟讼訪访設设許许訴诉診诊評评詢询試试詳详認认語语誠诚誤误說说課课調调談谈請请論论諮咨諸诸謀谋謝谢證证"
    "譯译議议護护讀读變变讓让豐丰豬猪負负財财貧贫貨货販贩責责貴贵貸贷費费貿贸資资賓宾賠赔賣卖賦赋質质購购贊赞贛赣趕赶躍跃車车軍军軟软較较載载輔辅輕轻輛辆輪轮輸输輿舆轄辖轉转轟轰辦办辭辞農农進进運运過过達达"
    "違违遞递遠远適适遷迁選选遺遗遼辽還还邊边郵邮鄉乡鄭郑鄰邻醫医釋释針针銀银鋼钢錄录錢钱錦锦鍋锅鎮镇鏡镜鐘钟鐵铁鑄铸長长門门閉闭開开閒闲間间閣阁閩闽閱阅闊阔闖闯關关陝陕陰阴陳陈陸陆陽阳隊队階阶際际隨随險险"
    "隱隐隸隶雖虽雙双雜杂雞鸡離离難难雲云電电項项須须預预領领頭头頻频題题額额顏颜願愿類类顧顾風风飛飞飯饭飲饮館馆饑饥馬马駐驻駕驾騎骑騰腾驅驱驗验驚惊驛驿體体鬥斗鬧闹魯鲁鮮鲜鳥鸟鳳凤鳴鸣鴻鸿鵬鹏鹽盐麗丽麥麦"
    "黃黄點点黨党齊齐齡龄龍龙龜龟"
)
assert len(_PAIRS) % 2 == 0, "the table must pair characters one to one"
TRADITIONAL_TO_SIMPLIFIED = str.maketrans(dict(zip(_PAIRS[0::2], _PAIRS[1::2], strict=True)))
# Whole words first, where the simplified form is another word (and not one character for one).
PHRASES = (("資訊", "信息"),)
# Whether a text holds anything to translate: most texts hold no traditional character.
HAS_TRADITIONAL = re.compile("[" + "".join(sorted(set(_PAIRS[0::2]) | {c for t, _ in PHRASES for c in t})) + "]")


def to_simplified(text: str) -> str:
    """``text`` with the table's traditional characters and phrases in simplified form."""
    if not HAS_TRADITIONAL.search(text):
        return text
    for trad, simp in PHRASES:
        text = text.replace(trad, simp)
    return text.translate(TRADITIONAL_TO_SIMPLIFIED)


__all__ = ["HAS_TRADITIONAL", "PHRASES", "TRADITIONAL_TO_SIMPLIFIED", "to_simplified"]
